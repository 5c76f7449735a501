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
    endpoints: dict | None = None  # a workspace on a SPARQL server: its endpoints and options

    @property
    def host(self) -> str:
        return "0.0.0.0" if self.lan else "127.0.0.1"


def new_secret() -> str:
    """A facilitator's secret: short enough to type, long enough not to guess."""
    return secrets.token_urlsafe(12)


def open_room(options: ServeOptions):
    """Open the workspace for the server (its one writer) and the room's state."""
    from crimekg.graph.errors import StoreError
    from crimekg.graph.server.room import Room
    from crimekg.graph.store import open_store

    store = open_store(options.store, endpoints=options.endpoints)
    try:
        if getattr(store, "exposes_internal_graphs", False):
            raise StoreError(
                f"cannot serve {store.location} in the union-default-graph mode: its internal graphs (the workspace "
                "secret, staged writes) are part of the default graph that /sparql answers from; drop "
                "--union-default-graph / CRIMEKG_UNION_DEFAULT_GRAPH to serve it"
            )
        return Room(store, options.session)
    except BaseException:
        store.close()
        raise


def make_app(room, options: ServeOptions, secret: str, join_base: str):
    """The ASGI application for ``room``."""
    from crimekg.graph.server.app import create_app

    return create_app(room, secret=secret, query_timeout=options.query_timeout, max_rows=options.max_rows, join_base=join_base,
                      max_body=options.max_body)


def run(app, options: ServeOptions) -> None:
    """Serve ``app`` with uvicorn until Ctrl-C (or SIGTERM)."""
    import uvicorn

    # h11, uvicorn's pure-Python HTTP parser, bounds a request's line and headers (httptools, its C
    # parser, takes a quarter less CPU a request but buffers a head of any size)
    config = uvicorn.Config(app, host=options.host, port=options.port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, lifespan="on", http="h11", h11_max_incomplete_event_size=MAX_HEAD,
                            timeout_keep_alive=65)  # phones pause between submissions: keep their connections
    uvicorn.Server(config).run()
