"""``crimekg serve``: the workshop live in the room, and a SPARQL endpoint.

One process holds the workspace and is its only writer; participants send contributions from
their phones (``/join``), the facilitator moderates them and shows the live view, and analysts'
tools query ``/sparql``. It binds to 127.0.0.1 unless asked to serve the room's network.

>>> join_url("192.168.1.20", 8765, "K7QX2M")
'http://192.168.1.20:8765/join?code=K7QX2M'
>>> "<svg" in qr_svg("http://192.168.1.20:8765/join")
True
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from crimekg.graph.server.limits import MAX_HEAD
from crimekg.graph.server.qr import join_url, lan_address, qr_svg, qr_text

__all__ = ["ServeOptions", "join_url", "lan_address", "qr_svg", "qr_text", "open_room", "make_app", "run"]


@dataclass
class ServeOptions:
    """What ``crimekg serve`` was asked for."""

    store: str | None = None
    port: int = 8765
    lan: bool = False
    secret: str | None = None
    query_timeout: float = 10.0
    max_rows: int = 10_000
    session: str | None = None
    max_body: int = 256 * 1024
    cors_origins: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return "0.0.0.0" if self.lan else "127.0.0.1"


#: The fewest characters a facilitator's own ``--secret`` may have.
MIN_SECRET = 12


def new_secret() -> str:
    """A facilitator's secret: short enough to type, long enough not to guess."""
    return secrets.token_urlsafe(12)


def open_room(options: ServeOptions):
    """Open the workspace for the server (its one writer) and the room's state."""
    from crimekg.graph.errors import InvalidInput
    from crimekg.graph.server.room import Room
    from crimekg.graph.store import is_remote, open_store, store_location

    if options.secret is not None and len(options.secret.strip()) < MIN_SECRET:
        # whoever guesses it moderates the room and reads every export; the login has no lock-out
        raise InvalidInput(
            f"--secret: {len(options.secret.strip())} characters is too short to keep the room's network out; "
            f"give at least {MIN_SECRET} (a few words, e.g. 'tea-and-maps-at-9'), or leave it out for a random one"
        )
    from crimekg.graph.server.app import cors_origin

    for origin in options.cors_origins:
        cors_origin(origin)
    location = store_location(options.store)
    if is_remote(location):  # the room journals pending submissions in files beside the store
        from urllib.parse import urlsplit, urlunsplit

        try:  # shown without any user information
            parts = urlsplit(location)
            shown = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
        except ValueError:
            shown = "(a URL)"
        raise InvalidInput(
            f"--store {shown}: crimekg serve runs on a workspace directory, not a SPARQL server; "
            "copy the workspace into a directory with `crimekg copy` and serve that"
        )
    store = open_store(options.store)
    try:
        return Room(store, options.session)
    except BaseException:
        store.close()
        raise


def make_app(room, options: ServeOptions, secret: str, join_base: str):
    """The ASGI application for ``room``."""
    from crimekg.graph.server.app import create_app

    return create_app(room, secret=secret, query_timeout=options.query_timeout, max_rows=options.max_rows, join_base=join_base,
                      max_body=options.max_body, cors_origins=options.cors_origins)


def run(app, options: ServeOptions) -> None:
    """Serve ``app`` with uvicorn until Ctrl-C (or SIGTERM)."""
    import uvicorn

    # h11, uvicorn's pure-Python HTTP parser, bounds a request's line and headers (httptools, its C
    # parser, takes a quarter less CPU a request but buffers a head of any size)
    config = uvicorn.Config(app, host=options.host, port=options.port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, lifespan="on", http="h11", h11_max_incomplete_event_size=MAX_HEAD,
                            timeout_keep_alive=65)  # phones pause between submissions: keep their connections
    uvicorn.Server(config).run()
