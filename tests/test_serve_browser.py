"""`crimekg serve` in headless Chromium over real HTTP: a participant (a phone-sized context) joins
and submits, the facilitator (another context) accepts, and the node appears in the live view
without losing its zoom, selection or presentation step; HTML in a contribution stays text."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")

from tests.test_serve import ENABLING, SECRET, XSS, start_server  # noqa: E402

pytestmark = pytest.mark.browser

LABEL = "Brokers rent out recruitment licences"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = start_server(tmp_path_factory)
    yield s
    s.stop()


class Watched:
    """A browser context with what its pages logged and requested."""

    def __init__(self, browser, **kw):
        self.context = browser.new_context(**kw)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.context.on("page", self._watch)

    def _watch(self, page):
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{e} {getattr(e, 'stack', '')}"))

    def new_page(self):
        return self.context.new_page()

    def close(self):
        self.context.close()


def participant_sends(page, server, text: str) -> None:
    page.goto(f"{server.base}/join?code={server.codes['room-2']}")
    page.fill("#f-text", text)
    page.select_option("#f-category", ENABLING)
    page.fill("#f-contributor", "P77")
    page.click("form.contribution button[type=submit]")
    page.wait_for_selector("p.notice")
    assert "your contribution was received" in page.inner_text("p.notice")


def facilitator_accepts(page, server, text: str) -> None:
    page.goto(f"{server.base}/facilitator")
    item = page.locator("li.pending", has=page.locator("p.text", has_text=text))
    item.locator("button.accept").click()
    page.wait_for_url(lambda url: "/facilitator?done=" in url)


def test_join_submit_accept_and_the_node_appears_live(browser, server):
    fac = Watched(browser, viewport={"width": 1280, "height": 800})
    phone = Watched(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        queue = fac.new_page()
        queue.goto(f"{server.base}/facilitator?secret={SECRET}")
        assert queue.url == f"{server.base}/facilitator"
        assert queue.locator(".qr svg").count() == 2  # one join QR code per session, drawn here
        live = fac.new_page()
        live.goto(f"{server.base}/live")
        live.wait_for_function("window.crimekg && document.body.dataset.drawn === '1' && document.body.dataset.live === '1'")
        before = live.evaluate("window.crimekg.data.nodes.length")
        chosen = live.evaluate("""() => {
            const ck = window.crimekg, n = ck.data.nodes[3];
            ck.network.moveTo({position: {x: 40, y: -25}, scale: 1.7, animation: false});
            ck.network.selectNodes([n.id]);
            return n.iri;
        }""")

        form = phone.new_page()
        participant_sends(form, server, LABEL)
        assert form.locator("ul.mine li[data-status=pending] .text").inner_text() == LABEL
        facilitator_accepts(queue, server, LABEL)

        live.wait_for_function("(label) => window.crimekg.data.nodes.some((n) => n.full === label)", arg=LABEL, timeout=30_000)
        after = live.evaluate("""() => {
            const ck = window.crimekg, net = ck.network;
            const byId = new Map(ck.data.nodes.map((n) => [n.id, n.iri]));
            return {n: ck.data.nodes.length, drawn: ck.nodes.length, scale: net.getScale(), pos: net.getViewPosition(),
                    selected: net.getSelectedNodes().map((id) => byId.get(id))};
        }""")
        assert after["n"] == before + 1 and after["drawn"] == before + 1
        assert after["scale"] == pytest.approx(1.7) and after["pos"]["x"] == pytest.approx(40) and after["pos"]["y"] == pytest.approx(-25)
        assert after["selected"] == [chosen]
        # the participant sees it accepted
        form.reload()
        assert form.locator("ul.mine li[data-status=accepted] .text").inner_text() == LABEL

        # presentation mode: the step stays where the facilitator left it
        live.evaluate("window.crimekg.present(true)")
        live.keyboard.press("ArrowRight")
        step = live.evaluate("window.crimekg.state.step")
        assert step == 1
        participant_sends(form, server, XSS)
        assert form.locator("ul.mine li .text", has_text="<img src=x").count() == 1  # shown as text
        facilitator_accepts(queue, server, XSS)
        live.wait_for_function("(label) => window.crimekg.data.nodes.some((n) => n.full === label)", arg=XSS, timeout=30_000)
        assert live.evaluate("window.crimekg.state.step") == step
        assert live.evaluate("document.body.classList.contains('present')")
        for page in (live, queue, form):
            assert page.evaluate("document.querySelectorAll('img').length") == 0
            assert page.evaluate("document.body.dataset.pwned") is None
        live.keyboard.press("Escape")  # out of presentation mode, where the search box is hidden
        live.fill("#search", "onerror")
        found = live.locator("#results button", has_text="onerror")
        assert found.first.inner_text() == XSS  # a node that arrived live is found, its label as text
        found.first.click()
        assert live.evaluate("document.body.dataset.focused").startswith("https://w3id.org/crimekg/data/factor/img-src-x-onerror")
        tip = live.evaluate("(label) => window.crimekg.nodes.get(window.crimekg.data.nodes.find((n) => n.full === label).id).title", XSS)
        assert "<img src=x" in tip  # vis-network shows a string title as text

        for watched in (fac, phone):
            assert watched.errors == []
            assert all(u.startswith(server.base) for u in watched.requests), [u for u in watched.requests if not u.startswith(server.base)]
    finally:
        fac.close()
        phone.close()
