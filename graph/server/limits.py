"""What one request may send to ``crimekg serve``: the body's size, a form's fields and their lengths.

The server takes forms and SPARQL queries, never a file: there is no upload (sheets go through
``crimekg import``, which bounds the sheet it reads). Every request body is read into memory up to
:data:`MAX_BODY` bytes (``--max-body``) and refused past it, before any of it is parsed. A request's line
and headers may hold :data:`MAX_HEAD` bytes (the HTTP parser, h11, stops buffering a head not much
past that; the application refuses a head past it with 414 or 431). A form may hold at most
:data:`MAX_FIELDS` fields, no file, and each field at most its length in :data:`FIELD_LIMITS`
(characters). Each refusal is one line, with status 413 (too large) or 400 (a file).

>>> try:
...     check_fields([("text", "x" * 2001)], FIELD_LIMITS)
... except Refused as exc:
...     print(exc.status, exc.reason)
413 refused: field "text" holds 2,001 characters; this server takes at most 2,000 in it (shorten it and send it again)
>>> check_fields([("text", "国境" * 1000), ("contributor", "P07")], FIELD_LIMITS)
>>> check_fields([("text", "línea\\r\\n" * 333)], FIELD_LIMITS)  # 1,998 characters as the browser counts them
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MAX_HEAD", "MAX_BODY", "MAX_FIELDS", "FIELD_LIMITS", "QUERY_FIELD_LIMITS", "Refused", "BodyLimit", "check_fields"]

#: Bytes a request's line (its path and query) and headers may hold together.
MAX_HEAD = 16 * 1024
#: Bytes a request body may hold (a form, a SPARQL query): ``crimekg serve --max-body``.
MAX_BODY = 256 * 1024
#: Fields a form may hold (the contribution form has 11).
MAX_FIELDS = 40
#: Characters each field of a participant's or the facilitator's form may hold; ``None``: any other field.
FIELD_LIMITS: dict[str | None, int] = {
    "text": 2000, "label": 200, "kind": 40, "category": 300, "crime": 300, "place": 200, "question": 300,
    "contributor": 32, "language": 16, "csrf": 64, "lang": 8, "note": 500, "secret": 200, "then": 16,
    None: 200,
}
#: Characters each field of a form sent to ``/sparql`` or a named query may hold (the query is
#: bounded by the body alone).
QUERY_FIELD_LIMITS: dict[str | None, int] = {"query": MAX_BODY, None: 2000}


class Refused(Exception):
    """A request refused for its size or shape: an HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def check_fields(items: Iterable[tuple[str, Any]], limits: Mapping[str | None, int], max_fields: int = MAX_FIELDS) -> None:
    """Refuse a form with too many fields, a file, or a field longer than its limit."""
    count = 0
    for name, value in items:
        count += 1
        if count > max_fields:
            raise Refused(413, f"refused: this form holds more than {max_fields:,} fields; the server's forms have at most {max_fields:,}")
        if not isinstance(value, str):
            raise Refused(400, f'refused: field "{_shown(name)}" is a file; this server takes no uploads (import sheets with `crimekg import`)')
        limit = limits.get(name, limits[None])
        length = len(value) - value.count("\r\n")  # a browser sends a line break as CR LF, and counts it as one
        if length > limit:
            raise Refused(413, f'refused: field "{_shown(name)}" holds {length:,} characters; this server takes at most '
                               f"{limit:,} in it (shorten it and send it again)")


def _shown(name: str) -> str:
    """A field's name as a message shows it: printable, and short."""
    name = "".join(c if c.isprintable() else "?" for c in name)
    return name if len(name) <= 40 else name[:40] + "..."


class BodyLimit:
    """Pure ASGI middleware: refuse a request whose line or headers hold more than ``max_head``
    bytes (414, 431); read a request's body (up to ``max_body`` bytes) before the application sees
    any of it, and answer 413 past that; a declared ``Content-Length`` past it is refused without
    reading a byte."""

    def __init__(self, app: Any, max_body: int = MAX_BODY, max_head: int = MAX_HEAD) -> None:
        self.app, self.max_body, self.max_head = app, max_body, max_head

    def _too_large(self, size: str) -> bytes:
        return (f"refused: the request body is {size} bytes; this server takes at most {self.max_body:,} "
                "(crimekg serve --max-body)\n").encode()

    async def _refuse(self, send: Any, status: int, text: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": text})

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            line = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string") or b"")
            head = line + sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or [])
            if head > self.max_head:
                status, hint = (414, " (send a long SPARQL query by POST)") if line > self.max_head // 2 else (431, "")
                await self._refuse(send, status, (f"refused: the request's line and headers hold {head:,} bytes; this server "
                                                  f"takes at most {self.max_head:,}{hint}\n").encode())
                return
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)  # these read no body here
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await self._refuse(send, 400, b"refused: the Content-Length header is not a number\n")
                return
            if int(declared) > self.max_body:
                await self._refuse(send, 413, self._too_large(f"{int(declared):,}"))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away: nothing to answer
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                await self._refuse(send, 413, self._too_large(f"more than {self.max_body:,}"))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole, given = b"".join(chunks), False

        async def replay() -> dict:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
