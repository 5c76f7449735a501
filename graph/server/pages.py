"""The server's HTML pages: built as text with every value escaped, styled by the package's own CSS."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

from crimekg.graph.server.limits import FIELD_LIMITS
from crimekg.graph.server.room import FORM_FIELDS, LANGUAGES, Room, Submission
from crimekg.graph.server.texts import text

__all__ = ["yasgui_page", "page", "join_page", "form_page", "facilitator_page", "edit_page", "login_page", "message_page", "query_page"]



def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def page(title: str, body: str, *, lang: str = "en", scripts: Sequence[str] = ()) -> str:
    direction = "rtl" if lang == "ar" else "ltr"
    tags = "".join(f'<script src="/static/{e(s)}"></script>' for s in scripts)
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{e(title)}</title><link rel="stylesheet" href="/static/crimekg.css">{tags}</head>'
        f"<body><main>{body}</main></body></html>\n"
    )


def message_page(title: str, text: str, status_link: tuple[str, str] | None = None) -> str:
    link = f'<p><a href="{e(status_link[0])}">{e(status_link[1])}</a></p>' if status_link else ""
    return page(title, f"<h1>{e(title)}</h1><p>{e(text)}</p>{link}")


def join_page(error: str = "", lang: str = "en") -> str:
    err = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    return page(text("join", lang), (
        f'<h1>{e(text("join", lang))}</h1>{err}<form method="get" action="/join"><label>{e(text("join code", lang))} '
        '<input name="code" autocomplete="off" autocapitalize="characters" required maxlength="12"></label> '
        f'<input type="hidden" name="lang" value="{e(lang)}"><button>{e(text("join button", lang))}</button></form>'
    ), lang=lang)


def _select(name: str, options: Iterable[tuple[str, str]], chosen: str, empty: str = "") -> str:
    opts = [f'<option value="">{e(empty)}</option>']
    for value, label in options:
        sel = " selected" if value == chosen else ""
        opts.append(f'<option value="{e(value)}"{sel}>{e(label)}</option>')
    return f'<select name="{e(name)}" id="f-{e(name)}">{"".join(opts)}</select>'


def fields_html(room: Room, values: Mapping[str, str], problems: Mapping[str, list[str]], lang: str) -> str:
    """The form's fields in the template's order, each with its problems under it (a blank form,
    the page every submission answers with, is drawn once per language)."""
    if not problems and not any(values.get(f) for f in FORM_FIELDS):
        return room.piece(("blank form", lang), lambda: _fields_html(room, {}, {}, lang))
    return _fields_html(room, values, problems, lang)


def _fields_html(room: Room, values: Mapping[str, str], problems: Mapping[str, list[str]], lang: str) -> str:
    out = []
    for f in FORM_FIELDS:
        v = values.get(f, "") or ""
        if f == "text":
            widget = f'<textarea name="text" id="f-text" rows="4" required maxlength="{FIELD_LIMITS["text"]}">{e(v)}</textarea>'
        elif f in ("category", "crime"):
            widget = _select(f, room.concept_options(f, lang), v, "—")
        elif f in ("kind", "question"):
            widget = _select(f, room.concept_options(f, lang), v, "—")
        elif f == "language":
            widget = _select(f, LANGUAGES.items(), v, "—")
        elif f == "place":
            widget = (f'<input name="place" id="f-place" list="places" value="{e(v)}" autocomplete="off" maxlength="{FIELD_LIMITS["place"]}">'
                      '<datalist id="places">' + "".join(f'<option value="{e(n)}">' for n, _ in room.concept_options("place")) + "</datalist>")
        else:
            extra = (f' maxlength="{FIELD_LIMITS[f]}" autocomplete="off" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{{0,31}}"' if f == "contributor"
                     else ' maxlength="80"')  # a label: as short as the labels made from texts
            widget = f'<input name="{f}" id="f-{f}" value="{e(v)}"{extra}>'
        errs = "".join(f'<p class="error" data-field="{f}" role="alert">{e(m)}</p>' for m in problems.get(f, []))
        out.append(f'<div class="field"><label for="f-{f}">{e(text("field." + f, lang))}</label>{widget}{errs}</div>')
    return "".join(out)


def form_page(room: Room, code: str, session_title: str, csrf: str, mine: Sequence[Submission], *,
              values: Mapping[str, str] | None = None, problems: Mapping[str, list[str]] | None = None,
              lang: str = "en", editing: str | None = None, notice: str = "") -> str:
    values = dict(values or {})
    langs = " ".join(
        f'<a href="/join?code={e(code)}&amp;lang={k}" hreflang="{k}" lang="{k}"{" aria-current=page" if k == lang else ""}>{e(n)}</a>'
        for k, n in LANGUAGES.items()
    )
    action = f"/s/{e(code)}/edit/{e(editing)}" if editing else f"/s/{e(code)}/submit"
    head = text("edit yours" if editing else "yours", lang)
    note = f'<p class="notice" role="status">{e(text(notice, lang))}</p>' if notice else ""
    if problems:
        note += f'<p class="error" role="alert">{e(text("fix", lang))}</p>'
    items = []
    for s in mine:
        label = s.fields.get("label") or s.fields.get("text", "")
        if s.status == "pending":
            buttons = (f'<a class="button" href="/s/{e(code)}/edit/{e(s.id)}?lang={e(lang)}">{e(text("edit", lang))}</a> '
                       f'<form method="post" action="/s/{e(code)}/withdraw/{e(s.id)}" class="inline">'
                       f'<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="lang" value="{e(lang)}">'
                       f'<button>{e(text("withdraw", lang))}</button></form>')
        else:
            buttons = ""
        items.append(f'<li data-id="{e(s.id)}" data-status="{e(s.status)}"><span class="text">{e(label)}</span> '
                     f'<span class="status">{e(text("status." + s.status, lang))}</span> {buttons}</li>')
    listing = f'<h2>{e(text("sent so far", lang))}</h2><ul class="mine">{"".join(items)}</ul>' if items else ""
    body = (
        f'<nav class="langs" aria-label="{e(text("language", lang))}">{langs}</nav><h1>{e(session_title)}</h1>{note}<h2>{e(head)}</h2>'
        f'<form method="post" action="{action}" class="contribution">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}"><input type="hidden" name="lang" value="{e(lang)}">'
        f'{fields_html(room, values, problems or {}, lang)}<button type="submit">{e(text("save" if editing else "send", lang))}</button></form>'
        f"{listing}<p class='hint'>{e(text('no names', lang))}</p>"
    )
    return page(session_title, body, lang=lang)


def login_page(error: str = "") -> str:
    err = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    return page("Facilitator", (
        f"<h1>Facilitator</h1>{err}<form method=\"post\" action=\"/login\"><label>Secret "
        '<input name="secret" type="password" autocomplete="current-password" required></label> <button>Enter</button></form>'
    ))


def _hidden(csrf: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(csrf)}">'


def facilitator_page(room: Room, csrf: str, join_base: str, qr_svgs: Mapping[str, str], notice: str = "") -> str:
    sessions = []
    for s in room.sessions():
        code = s["code"] or ""
        url = f"{join_base}/join?code={code}"
        qr = qr_svgs.get(code, "")
        sessions.append(
            f'<section class="session" data-session="{e(s["id"])}"><h3>{e(s["title"])} <small>({e(s["id"])})</small></h3>'
            f'<p>Join code: <strong class="code">{e(code)}</strong> · <a href="{e(url)}">{e(url)}</a></p>'
            f'<div class="qr">{qr}</div>'
            f'<p>{s["contributions"]} contributions, {s["participants"]} participants</p></section>'
        )
    from crimekg.graph.harmonize import factor_table

    rows = []
    queue = room.queue()
    factors = factor_table(room.store) if queue else []
    for sub in queue:
        f = sub.fields
        sugg = room.suggestions(sub.id, factors=factors)
        merge_opts = "".join(f'<option value="{e(lbl)}">{e(lbl)} ({score:g})</option>' for lbl, _iri, score in sugg)
        merge = (f'<form method="post" action="/facilitator/merge/{e(sub.id)}" class="inline">{_hidden(csrf)}'
                 f'<select name="label">{merge_opts}</select> <button>Merge into factor</button></form>') if merge_opts else ""
        details = " · ".join(e(room.display(k, f[k])) for k in ("kind", "category", "crime", "place", "question", "contributor") if f.get(k))
        rows.append(
            f'<li class="pending" data-id="{e(sub.id)}" data-session="{e(sub.session)}">'
            f'<p class="text">{e(f.get("text"))}</p>'
            + (f'<p class="label">Label: {e(f.get("label"))}</p>' if f.get("label") else "")
            + f'<p class="details">{details}</p>'
            + _personal_html(room, sub, csrf)
            + f'<form method="post" action="/facilitator/accept/{e(sub.id)}" class="inline">{_hidden(csrf)}<button class="accept">Accept</button></form> '
            f'<a class="button" href="/facilitator/edit/{e(sub.id)}">Edit</a> {merge} '
            f'<form method="post" action="/facilitator/reject/{e(sub.id)}" class="inline">{_hidden(csrf)}<button class="reject">Reject</button></form>'
            "</li>"
        )
    queue = f'<ul class="queue">{"".join(rows)}</ul>' if rows else '<p class="empty">Nothing waiting.</p>'
    note = f'<p class="notice" role="status">{e(notice)}</p>' if notice else ""
    body = (
        f"<h1>Facilitator</h1>{note}<h2>Sessions</h2>{''.join(sessions) or '<p>No session yet: restart with --session ID.</p>'}"
        f'<h2>Waiting for you <span id="queue-count">{len(rows)}</span></h2>{queue}'
        '<h2>Show and share</h2><p><a class="button" href="/live" id="live">Live view</a> '
        '<a class="button" href="/facilitator/export/turtle">Turtle (full)</a> '
        '<a class="button" href="/facilitator/export/public">Public profile</a> '
        '<a class="button" href="/facilitator/export/graphml">GraphML</a> '
        '<a class="button" href="/query">SPARQL</a></p>'
        '<form method="get" action="/facilitator/brief"><label>Brief for a place <input name="place" required></label> <button>Brief</button></form>'
    )
    return page("Facilitator", body, scripts=("facilitator.js",))


def _personal_html(room: Room, sub: Submission, csrf: str) -> str:
    """A warning on a queued submission whose text seems to hold a name, e-mail address or phone
    number, with a button that accepts it with markers in their place."""
    found = room.personal_details(sub)
    if not found:
        return ""
    what = ", ".join(f"{e(kind)} “{e(text)}”" for kind, text in found)
    return (f'<div class="personal" role="alert">Likely personal details: {what}. Edit to remove them, or '
            f'<form method="post" action="/facilitator/accept/{e(sub.id)}" class="inline">{_hidden(csrf)}'
            '<input type="hidden" name="redact" value="1"><button class="accept-redacted">Accept with markers</button></form></div>')


def edit_page(room: Room, sub: Submission, csrf: str, problems: Mapping[str, list[str]] | None = None,
              values: Mapping[str, str] | None = None) -> str:
    body = (
        f"<h1>Edit before accepting</h1><form method=\"post\" action=\"/facilitator/edit/{e(sub.id)}\">{_hidden(csrf)}"
        f"{fields_html(room, values or sub.fields, problems or {}, 'en')}"
        '<button name="then" value="save">Save</button> <button name="then" value="accept">Save and accept</button></form>'
        '<p><a href="/facilitator">Back to the queue</a></p>'
    )
    return page("Edit a submission", body)


def query_page(examples: Sequence[tuple[str, str]]) -> str:
    opts = "".join(f'<li><a href="/queries/{e(n)}">{e(n)}</a>: {e(d)}</li>' for n, d in examples)
    return page("SPARQL", (
        "<h1>SPARQL</h1><p>The endpoint is <code>/sparql</code> (SPARQL 1.1 Protocol, read-only); the crimekg prefixes "
        "(ckg:, skos:, factor:, category:, place: ...) are declared.</p>"
        '<form method="get" action="/sparql"><textarea name="query" rows="8" cols="80">'
        "SELECT ?factor ?label WHERE { ?factor a ckg:Factor ; skos:prefLabel ?label } LIMIT 20</textarea><br>"
        '<select name="format"><option value="json">JSON</option><option value="csv">CSV</option>'
        '<option value="tsv">TSV</option><option value="xml">XML</option></select> <button>Run</button></form>'
        f"<h2>Named queries</h2><ul>{opts}</ul>"
        '<p><a href="/yasgui">The query editor (YASGUI)</a>: highlighting, checking and tables.</p>'
    ))


def yasgui_page(config: Mapping[str, object]) -> str:
    """The YASGUI query page; ``config`` (prefixes, the named queries, the first query) goes in as a
    JSON data block, escaped so that no text in it can end the block."""
    import json

    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>crimekg SPARQL</title><link rel="stylesheet" href="/static/crimekg.css"><link rel="stylesheet" href="/static/yasgui/yasgui.min.css">'
        '<script src="/static/yasgui/yasgui.min.js"></script></head><body><main class="wide">'
        '<h1>SPARQL</h1><p>The endpoint is <code>/sparql</code> (SPARQL 1.1 Protocol, read-only). '
        '<a href="/query">A plain form</a> does without JavaScript.</p>'
        '<div id="yasgui"></div><h2>Named queries</h2><ul id="examples"></ul>'
        f'<script type="application/json" id="crimekg-yasgui">{data}</script>'
        '<script src="/static/yasgui-page.js"></script></main></body></html>\n'
    )
