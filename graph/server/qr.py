"""The addresses participants open, and their QR codes, made offline (segno)."""

from __future__ import annotations

import socket

__all__ = ["join_url", "lan_address", "qr_svg", "qr_text"]


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent), or 127.0.0.1 without one."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))  # a UDP connect only picks the route
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


def join_url(host: str, port: int, code: str | None = None) -> str:
    """The address participants open (with the join code, when there is one session)."""
    return f"http://{host}:{port}/join" + (f"?code={code}" if code else "")


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG, made here (segno), with no network."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, dark="#000", light="#fff")


def qr_text(url: str) -> str:
    """The QR code of ``url`` drawn with block characters, for a terminal."""
    import io

    import segno

    buf = io.StringIO()
    segno.make(url, error="m").terminal(out=buf, compact=True)
    return buf.getvalue()
