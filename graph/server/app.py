"""The ASGI application (Starlette): participants' form, facilitator's queue, live view, SPARQL.

Every response carries a Content-Security-Policy that allows nothing from another host; every
page and script comes from the package itself. Writes need a CSRF token tied to the cookie of
the one who makes them (the facilitator's secret, or the participant's own random id) and a
same-origin ``Origin`` header when the browser sends one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import secrets
import threading
import time
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crimekg.graph.errors import CrimeKGError
import crimekg.graph.server.pages as pages
from crimekg.graph.server.limits import FIELD_LIMITS, MAX_BODY, MAX_FIELDS, QUERY_FIELD_LIMITS, BodyLimit, Refused, check_fields
from crimekg.graph.server.room import LANGUAGES, Room
from crimekg.graph.server.sparql import answer_query
from crimekg.graph.server.texts import best_language

__all__ = ["STRICT_CSP", "VIEW_CSP", "YASGUI_CSP", "create_app"]

#: The policy of the server's own pages: scripts and styles from this server only, nothing else.
STRICT_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
              "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
#: The live view is the page ``crimekg view`` writes, whose scripts and styles are inline.
VIEW_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
#: YASGUI sets style attributes and inline styles as it draws (CodeMirror, its tables): its page
#: allows them, and still nothing from another host.
YASGUI_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
              "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_CORS = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
         "Access-Control-Allow-Headers": "Content-Type, Accept", "Access-Control-Expose-Headers": "X-Crimekg-Truncated",
         "Access-Control-Max-Age": "600", "Vary": "Origin"}
#: The hosts of pages on the server's own machine, which may read ``/sparql`` from a browser.
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
_META_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')
_DATA_LINE = re.compile(r"^\s*const DATA = (.*);$", re.M)
PARTICIPANT_COOKIE = "ckg_p"
FACILITATOR_COOKIE = "ckg_f"


class SecurityHeaders:
    """Pure ASGI middleware: the CSP (unless the response set its own), the usual hardening headers,
    and a ``Server-Timing`` header saying how long the server took to start answering (load tests
    read it to tell the server's time from the time the client itself took)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()

        async def wrapped(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", STRICT_CSP.encode()))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                            (b"x-frame-options", b"DENY"),
                            (b"server-timing", b"app;dur=%.1f" % ((time.perf_counter() - started) * 1000))]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


class KnownHosts:
    """Pure ASGI middleware: answer only requests addressed to this machine by a name that cannot be
    someone else's (``localhost``, an IP address, the name in the join URL). A site whose name is made
    to point at 127.0.0.1 (DNS rebinding) would otherwise be this server's own origin in the
    facilitator's browser, and its page could read ``/sparql`` as this server's pages do."""

    def __init__(self, app: Any, names: set[str]) -> None:
        self.app, self.names = app, {n.lower().strip("[]") for n in names} | {"localhost", "127.0.0.1", "::1"}

    def known(self, host: str) -> bool:
        import ipaddress

        if host.startswith("["):  # [IPv6]:port
            name = host[1:host.find("]")] if "]" in host else host
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        name = name.lower().rstrip(".")
        if name in self.names:
            return True
        try:
            ipaddress.ip_address(name)  # an address is not a name anyone can point elsewhere
            return True
        except ValueError:
            return False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
            if host and not self.known(host):
                shown = "".join(c if c.isprintable() else "?" for c in host)[:100]
                await PlainTextResponse(
                    f"refused: this server answers to this machine's address or localhost, not to the name {shown} "
                    "(a page of another site pointed at it); open the address it printed\n", status_code=421)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _html(text: str, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def cors_origin(origin: str) -> str:
    """An origin as ``--cors-origin`` takes it (``scheme://host[:port]``, or ``*``), in the form a browser sends.

    >>> cors_origin("https://Notebooks.example.org:443/"), cors_origin("http://[::1]:8888"), cors_origin("*")
    ('https://notebooks.example.org', 'http://[::1]:8888', '*')
    """
    from crimekg.graph.errors import InvalidInput

    if origin.strip() == "*":
        return "*"
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password \
            or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise InvalidInput(f"--cors-origin {origin!r}: give a web page's origin, scheme://host[:port] (e.g. https://notebooks.example.org), or *")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    default = {"http": 80, "https": 443}[parts.scheme]  # a browser leaves the default port out
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def create_app(room: Room, *, secret: str, query_timeout: float = 10.0, max_rows: int = 10_000,
               join_base: str = "http://127.0.0.1:8765", max_body: int = MAX_BODY, cors_origins: tuple[str, ...] = ()) -> Any:
    """The server for ``room``; ``secret`` opens the facilitator's pages, ``join_base`` starts the join URL,
    ``max_body`` bounds every request's body (bytes; see :mod:`graph.server.limits`).

    A web page may read ``/sparql`` and the named queries from a browser (CORS) when it comes from
    this server, from this machine (``localhost``), or from one of ``cors_origins`` (``*``: any page,
    as a public endpoint allows). The endpoint shows the whole workspace, contributor codes and
    groups included: any other page the facilitator opens must not read it through the browser."""
    allowed_origins = {cors_origin(o) for o in cors_origins}
    facilitator_cookie = room.token("facilitator", secret)
    facilitator_csrf = room.token("csrf-facilitator", secret)

    # -- who is asking ------------------------------------------------------------------------------
    def is_facilitator(request: Request) -> bool:
        import hmac

        given = request.cookies.get(FACILITATOR_COOKIE, "")
        return bool(given) and hmac.compare_digest(given, facilitator_cookie)

    def same_origin(request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return origin is None
        return urlsplit(origin).netloc == request.headers.get("host", "")

    async def form_of(request: Request, limits: dict = FIELD_LIMITS) -> dict[str, str]:
        """The form a request sent, refused (:class:`Refused`) with a file, too many fields or a field too long."""
        from starlette.exceptions import HTTPException

        try:
            form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=max_body)
        except HTTPException as exc:  # the form parsers' own limits (a file, too many fields, a part too large)
            detail = str(exc.detail).lower()
            if "file" in detail:
                raise Refused(400, "refused: this server takes no file uploads (import sheets with `crimekg import`)") from None
            if "fields" in detail:
                raise Refused(413, f"refused: this form holds more than {MAX_FIELDS} fields; the server's forms have at most {MAX_FIELDS}") from None
            raise Refused(413 if "exceeded" in detail else 400, f"refused: the form could not be read: {str(exc.detail).rstrip('.')}") from None
        check_fields(form.multi_items(), limits)
        return {k: str(v) for k, v in form.items()}

    def participant(request: Request) -> str | None:
        p = request.cookies.get(PARTICIPANT_COOKIE)
        return p if p and re.fullmatch(r"[A-Za-z0-9_-]{16,64}", p) else None

    def owner_of(p: str) -> str:
        return room.token("owner", p)[:16]

    def set_participant(resp: Response, p: str) -> Response:
        resp.set_cookie(PARTICIPANT_COOKIE, p, max_age=7 * 24 * 3600, httponly=True, samesite="lax")
        return resp

    def lang_of(request: Request, form: dict[str, str] | None = None) -> str:
        """The page's language: the switch's choice (form or URL), else the browser's Accept-Language."""
        lang = (form or {}).get("lang") or request.query_params.get("lang")
        if lang in LANGUAGES:
            return lang
        return best_language(request.headers.get("accept-language", ""))

    def forbidden(reason: str) -> PlainTextResponse:
        return PlainTextResponse(reason + "\n", status_code=403)

    # -- participants ---------------------------------------------------------------------------------
    async def home(request: Request) -> Response:
        return RedirectResponse("/join", status_code=303)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    def session_title(session: str) -> str:
        for s in room.sessions():
            if s["id"] == session:
                return s["title"]
        return session

    async def participant_page(request: Request, code: str, p: str, **kw: Any) -> Response:
        session = room.session_of(code)

        def render() -> str:  # one trip to the thread pool per page
            return pages.form_page(room, code, session_title(session), room.token("csrf-participant", p), room.mine(session, owner_of(p)), **kw)

        return set_participant(_html(await run_in_threadpool(render)), p)

    async def join(request: Request) -> Response:
        code = request.query_params.get("code", "")
        if not code:
            return _html(pages.join_page(lang=lang_of(request)))
        session = room.session_of(code)
        if session is None:
            return _html(pages.join_page("That join code is not one of this room's; check it with the facilitator.", lang_of(request)), 404)
        p = participant(request) or secrets.token_urlsafe(18)
        return await participant_page(request, code.upper(), p, lang=lang_of(request))

    async def checked_participant(request: Request, code: str) -> tuple[str | None, str | None, dict[str, str], Response | None]:
        session = room.session_of(code)
        form = await form_of(request)
        p = participant(request)
        if session is None:
            return None, None, form, _html(pages.join_page("That join code is not one of this room's."), 404)
        if p is None or not same_origin(request) or not room.check_token("csrf-participant", p, form.get("csrf")):
            return None, None, form, forbidden("refused: this form did not come from your own page of this server (CSRF check); reload the page and send it again")
        return session, p, form, None

    async def submit(request: Request) -> Response:
        code = request.path_params["code"].upper()
        session, p, form, refused = await checked_participant(request, code)
        if refused:
            return refused
        lang = lang_of(request, form)
        csrf = room.token("csrf-participant", p)

        def act() -> str:  # check, journal and render in one trip to the thread pool
            sub, problems = room.submit(session, owner_of(p), form)
            title = session_title(session)
            if problems:
                return pages.form_page(room, code, title, csrf, room.mine(session, owner_of(p)), values=form, problems=problems, lang=lang)
            return pages.form_page(room, code, title, csrf, room.mine(session, owner_of(p)), lang=lang, notice="received")

        return set_participant(_html(await run_in_threadpool(act)), p)

    async def participant_edit(request: Request) -> Response:
        code, sid = request.path_params["code"].upper(), request.path_params["sid"]
        if request.method == "GET":
            p = participant(request)
            if p is None or room.session_of(code) is None:
                return forbidden("refused: join the session first")
            try:
                sub = room.owned(sid, owner_of(p))
            except CrimeKGError as exc:
                return _html(pages.message_page("Cannot edit", str(exc), (f"/join?code={code}", "Back")), 409)
            return await participant_page(request, code, p, values=sub.fields, lang=lang_of(request), editing=sid)
        session, p, form, refused = await checked_participant(request, code)
        if refused:
            return refused
        try:
            problems = await run_in_threadpool(room.edit, sid, form, owner_of(p))
        except CrimeKGError as exc:
            return _html(pages.message_page("Cannot edit", str(exc), (f"/join?code={code}", "Back")), 409)
        lang = lang_of(request, form)
        if problems:
            return await participant_page(request, code, p, values=form, problems=problems, lang=lang, editing=sid)
        return await participant_page(request, code, p, lang=lang, notice="saved")

    async def withdraw(request: Request) -> Response:
        code, sid = request.path_params["code"].upper(), request.path_params["sid"]
        session, p, form, refused = await checked_participant(request, code)
        if refused:
            return refused
        try:
            await run_in_threadpool(room.withdraw, sid, owner_of(p))
        except CrimeKGError as exc:
            return _html(pages.message_page("Cannot withdraw", str(exc), (f"/join?code={code}", "Back")), 409)
        return await participant_page(request, code, p, lang=lang_of(request, form), notice="withdrawn")

    # -- the facilitator ----------------------------------------------------------------------------
    def login_cookie(resp: Response) -> Response:
        resp.set_cookie(FACILITATOR_COOKIE, facilitator_cookie, httponly=True, samesite="strict")
        return resp

    async def login(request: Request) -> Response:
        import hmac

        if request.method == "GET":
            return _html(pages.login_page(), 401)
        form = await form_of(request)
        if not same_origin(request) or not hmac.compare_digest(form.get("secret", "").encode(), secret.encode()):
            return _html(pages.login_page("That is not the secret this server printed when it started."), 403)
        return login_cookie(RedirectResponse("/facilitator", status_code=303))

    def qr_svgs() -> dict[str, str]:
        from crimekg.graph.server.qr import qr_svg

        return {s["code"]: qr_svg(f"{join_base}/join?code={s['code']}") for s in room.sessions() if s["code"]}

    async def facilitator(request: Request) -> Response:
        import hmac

        given = request.query_params.get("secret")
        if given is not None:
            if hmac.compare_digest(given.encode(), secret.encode()):
                return login_cookie(RedirectResponse("/facilitator", status_code=303))
            return _html(pages.login_page("That is not the secret this server printed when it started."), 403)
        if not is_facilitator(request):
            return _html(pages.login_page(), 401)
        notice = request.query_params.get("done", "")
        text = await run_in_threadpool(lambda: pages.facilitator_page(room, facilitator_csrf, join_base, qr_svgs(), notice))
        return _html(text)

    async def checked_facilitator(request: Request) -> tuple[dict[str, str], Response | None]:
        if not is_facilitator(request):
            return {}, forbidden("refused: this needs the facilitator's secret (open /facilitator?secret=... or log in at /login)")
        form = await form_of(request)
        import hmac

        if not same_origin(request) or not hmac.compare_digest(form.get("csrf", "").encode(), facilitator_csrf.encode()):
            return form, forbidden("refused: this form did not come from the facilitator's page of this server (CSRF check); reload it")
        return form, None

    def back(done: str) -> Response:
        from urllib.parse import quote

        return RedirectResponse("/facilitator?done=" + quote(done), status_code=303)

    async def moderate(request: Request) -> Response:
        action, sid = request.path_params["action"], request.path_params["sid"]
        form, refused = await checked_facilitator(request)
        if refused:
            return refused
        try:
            if action == "accept":
                item = await run_in_threadpool(room.accept, sid, None, form.get("redact") == "1")
                return back(f"Accepted: {item}")
            if action == "merge":
                label = form.get("label", "")
                if not label:
                    return _html(pages.message_page("Merge", "choose the factor to merge into", ("/facilitator", "Back")), 400)
                item = await run_in_threadpool(room.accept, sid, label)
                return back(f"Merged into: {item}")
            if action == "reject":
                await run_in_threadpool(room.reject, sid, form.get("note", ""))
                return back("Rejected.")
        except CrimeKGError as exc:
            return _html(pages.message_page("Not done", str(exc), ("/facilitator", "Back to the queue")), 409)
        return PlainTextResponse("unknown action\n", status_code=404)

    async def facilitator_edit(request: Request) -> Response:
        sid = request.path_params["sid"]
        if request.method == "GET":
            if not is_facilitator(request):
                return _html(pages.login_page(), 401)
            sub = room.submissions.get(sid)
            if sub is None or sub.status != "pending":
                return _html(pages.message_page("Not waiting", f"submission {sid} is not in the queue", ("/facilitator", "Back")), 404)
            return _html(await run_in_threadpool(pages.edit_page, room, sub, facilitator_csrf))
        form, refused = await checked_facilitator(request)
        if refused:
            return refused
        try:
            problems = await run_in_threadpool(room.edit, sid, form)
            if problems:
                sub = room.submissions[sid]
                return _html(await run_in_threadpool(pages.edit_page, room, sub, facilitator_csrf, problems, form), 400)
            if form.get("then") == "accept":
                item = await run_in_threadpool(room.accept, sid, None, form.get("redact") == "1")
                return back(f"Accepted: {item}")
        except CrimeKGError as exc:
            return _html(pages.message_page("Not done", str(exc), ("/facilitator", "Back to the queue")), 409)
        return back("Saved.")

    async def export(request: Request) -> Response:
        if not is_facilitator(request):
            return forbidden("refused: exports need the facilitator's secret")
        kind = request.path_params["kind"]

        def make() -> tuple[bytes, str, str]:
            buf = io.BytesIO()
            if kind == "turtle":
                room.store.export(buf, "ttl")
                return buf.getvalue(), "text/turtle; charset=utf-8", "crimekg.ttl"
            if kind == "public":
                from crimekg.graph.export import export_workspace

                export_workspace(room.store, buf, "ttl", profile="public")
                return buf.getvalue(), "text/turtle; charset=utf-8", "crimekg-public.ttl"
            from crimekg.graph.views import export_network

            export_network(room.store, buf, "graphml", "factors")
            return buf.getvalue(), "application/graphml+xml", "crimekg-factors.graphml"

        if kind not in ("turtle", "public", "graphml"):
            return PlainTextResponse("unknown export: turtle, public or graphml\n", status_code=404)
        body, media, name = await run_in_threadpool(make)
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def brief(request: Request) -> Response:
        if not is_facilitator(request):
            return _html(pages.login_page(), 401)
        place = request.query_params.get("place", "")

        def make() -> str:
            from crimekg.graph.brief import build_brief, render_brief

            return render_brief(build_brief(room.store, place=place), "html")

        try:
            text = await run_in_threadpool(make)
        except CrimeKGError as exc:
            return _html(pages.message_page("No brief", str(exc), ("/facilitator", "Back")), 400)
        return _html(text)

    # -- the live view --------------------------------------------------------------------------------
    def render_live(preset: str) -> str:
        from crimekg.graph.views import network_for, render_network

        G = network_for(room.store, preset)
        return render_network(G, preset, title=f"crimekg live: {preset}")

    def preset_of(request: Request) -> str:
        from crimekg.graph.views import PRESETS

        preset = request.query_params.get("preset", "factors")
        return preset if preset in PRESETS and preset not in ("query",) else "factors"

    async def live(request: Request) -> Response:
        if not is_facilitator(request):
            return _html(pages.login_page(), 401)
        preset = preset_of(request)
        version = room.version
        text = await run_in_threadpool(render_live, preset)
        # the view's own page, wrapped: its CSP meta gives way to the header (which lets this
        # server's script connect back), and the script that keeps it live is added
        text = _META_CSP.sub("", text, count=1)
        tag = f'<script src="/static/live.js" data-preset="{preset}" data-version="{version}"></script>'
        i = text.rfind("</body>")
        text = text[:i] + tag + text[i:]
        return _html(text, headers={"Content-Security-Policy": VIEW_CSP})

    async def live_data(request: Request) -> Response:
        if not is_facilitator(request):
            return forbidden("refused: the live view needs the facilitator's secret")
        version = room.version
        text = await run_in_threadpool(render_live, preset_of(request))
        m = _DATA_LINE.search(text)
        body = '{"version":%d,"data":%s}' % (version, m.group(1) if m else "null")
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def events(request: Request) -> Response:
        if not is_facilitator(request):
            return forbidden("refused: the live view needs the facilitator's secret")

        async def stream():
            seen = None
            last = time.monotonic()
            yield "retry: 1000\n\n"
            while not await request.is_disconnected():
                now = (room.version, len(room.queue()))
                if now != seen:
                    seen = now
                    last = time.monotonic()
                    yield "data: " + json.dumps({"version": now[0], "queue": now[1]}) + "\n\n"
                elif time.monotonic() - last > 15:
                    last = time.monotonic()
                    yield ": still here\n\n"
                await asyncio.sleep(0.2)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # -- SPARQL -----------------------------------------------------------------------------------
    def cors(request: Request) -> dict[str, str]:
        """The CORS headers for ``request``: none for a page this server does not let read it."""
        origin = request.headers.get("origin")
        if origin is None or "*" in allowed_origins:  # a browser sends Origin with every cross-origin request
            return {**_CORS, "Access-Control-Allow-Origin": "*"}
        try:
            parts = urlsplit(origin)
            host = (parts.hostname or "").lower()
        except ValueError:
            return {"Vary": "Origin"}
        if parts.netloc == request.headers.get("host", "") or host in _LOOPBACK or origin.lower().rstrip("/") in allowed_origins:
            return {**_CORS, "Access-Control-Allow-Origin": origin}
        return {"Vary": "Origin"}

    def sparql_response(request: Request, answer: Any) -> Response:
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers={**cors(request), **answer.headers})

    async def sparql(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors(request))
        params = dict(request.query_params)
        text = params.get("query")
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == "application/sparql-query":
                text = (await request.body()).decode("utf-8", "replace")
            elif ctype == "application/sparql-update":
                text, params["update"] = None, "1"
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await form_of(request, QUERY_FIELD_LIMITS)
                params.update(form)
                text = form.get("query", text)
            else:
                return sparql_response(request, _plain(415, f"unsupported Content-Type {ctype or '(none)'}; send application/sparql-query or a form with query="))
        if "update" in params:
            return sparql_response(request, _plain(400, "this endpoint is read-only: SPARQL updates are refused; change data through crimekg's commands or the facilitator's page"))
        if params.get("default-graph-uri") or params.get("named-graph-uri"):
            return sparql_response(request, _plain(400, "default-graph-uri and named-graph-uri are not supported: queries see the union of the workspace's graphs; use GRAPH in the query"))
        answer = await run_in_threadpool(lambda: answer_query(
            room.store, text, accept=request.headers.get("accept", ""), short_format=params.get("format") or params.get("output"),
            timeout=query_timeout, max_rows=max_rows))
        return sparql_response(request, answer)

    async def named(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors(request))
        params = dict(request.query_params)
        if request.method == "POST":
            params.update(await form_of(request, QUERY_FIELD_LIMITS))
        short = params.pop("format", None) or params.pop("output", None)
        answer = await run_in_threadpool(lambda: answer_query(
            room.store, None, name=request.path_params["name"], params=params, accept=request.headers.get("accept", ""),
            short_format=short, timeout=query_timeout, max_rows=max_rows, words=room.words()))
        return sparql_response(request, answer)

    async def query_page(request: Request) -> Response:
        from crimekg.graph.query import named_queries

        return _html(pages.query_page([(n, q.description) for n, q in sorted(named_queries().items())]))

    async def yasgui(request: Request) -> Response:
        from crimekg.graph.query import named_queries
        from crimekg.graph.store import PREFIXES

        config = {"prefixes": dict(PREFIXES), "start": "SELECT ?factor ?label WHERE { ?factor a ckg:Factor ; skos:prefLabel ?label } LIMIT 20",
                  "examples": [{"name": n, "description": q.description, "text": q.text} for n, q in sorted(named_queries().items())]}
        return _html(pages.yasgui_page(config), headers={"Content-Security-Policy": YASGUI_CSP})

    async def prefixes_json(request: Request) -> Response:
        from crimekg.graph.store import PREFIXES

        return Response(json.dumps(PREFIXES), media_type="application/json")

    static = Path(str(files("crimekg.graph.server") / "static"))
    routes = [
        Route("/", home), Route("/health", health),
        Route("/favicon.ico", lambda request: Response(status_code=204, headers={"Cache-Control": "max-age=86400"})),
        Route("/join", join), Route("/s/{code}/submit", submit, methods=["POST"]),
        Route("/s/{code}/edit/{sid}", participant_edit, methods=["GET", "POST"]),
        Route("/s/{code}/withdraw/{sid}", withdraw, methods=["POST"]),
        Route("/login", login, methods=["GET", "POST"]), Route("/facilitator", facilitator),
        Route("/facilitator/edit/{sid}", facilitator_edit, methods=["GET", "POST"]),
        Route("/facilitator/{action:str}/{sid}", moderate, methods=["POST"]),
        Route("/facilitator/export/{kind}", export), Route("/facilitator/brief", brief),
        Route("/live", live), Route("/live/data", live_data), Route("/events", events),
        Route("/sparql", sparql, methods=["GET", "POST", "OPTIONS"]),
        Route("/queries/{name}", named, methods=["GET", "POST", "OPTIONS"]), Route("/query", query_page),
        Route("/yasgui", yasgui), Route("/query/prefixes.json", prefixes_json),
        Mount("/static", app=StaticFiles(directory=static), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # the first view pays for importing the layout and drawing libraries (seconds): pay it now
        def warm_up() -> None:
            room.warm_up()
            render_live("factors")

        threading.Thread(target=warm_up, name="crimekg-warm-up", daemon=True).start()
        yield

    async def refused(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(getattr(exc, "reason", str(exc)) + "\n", status_code=getattr(exc, "status", 400))

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Refused: refused})
    app.state.room = room
    return SecurityHeaders(KnownHosts(BodyLimit(app, max_body), {urlsplit(join_base).hostname or ""}))


def _plain(status: int, reason: str) -> Any:
    from crimekg.graph.server.sparql import Answer

    return Answer(status, "text/plain; charset=utf-8", reason + "\n", {})
