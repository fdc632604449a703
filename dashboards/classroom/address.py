"""The join address students type or scan, and its QR code, drawn here (``segno``: no outside
service sees the address).

The address is built from the address the teacher's own browser used (its ``Host``), so it is
right behind a proxy or on another port. A teacher who opened the page as ``localhost`` would
give students an address that points at their own phones: then this computer's network address
is used instead, with a note when the server listens on this computer only.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def network_address() -> str | None:
    """This computer's address on its local network (no packet is sent), or None."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if is_loopback(address) else address


def split_host(host_header: str | None) -> tuple[str, int | None]:
    """('host', port) from a Host header ('192.168.1.5:8765', '[::1]:8765', 'example.org')."""
    parsed = urllib.parse.urlsplit("//" + (host_header or "").strip())
    try:
        port = parsed.port
    except ValueError:
        port = None
    host = parsed.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return host, port


def join_address(code: str, host_header: str | None, scheme: str = "http",
                 root: str = "") -> tuple[str, str | None]:
    """The address students open, and a note for the teacher (None when all is well)."""
    host, port = split_host(host_header)
    note = None
    if not host or is_loopback(host):
        lan = network_address()
        if lan:
            note = (f"You opened this page as {host or 'this computer'}; students use this "
                    f"computer's network address, {lan}. If their phones cannot open it, start "
                    "the dashboard with: coprosim dashboard --host 0.0.0.0")
            host = lan
        else:
            host = host or "localhost"
            note = ("This computer has no network address: students on other devices cannot "
                    "reach it.")
    netloc = host if port is None else f"{host}:{port}"
    path = root.rstrip("/") + "/join"
    return f"{scheme}://{netloc}{path}?{urllib.parse.urlencode({'code': code})}", note


def qr_svg(text: str, scale: int = 6) -> str:
    """The QR code of ``text`` as inline SVG (black on white, with its quiet zone), named for a
    screen reader as a picture of the address it holds."""
    import html

    import segno

    qr = segno.make(text, error="m", micro=False)
    svg = qr.svg_inline(scale=scale, dark="#000", light="#fff")
    label = html.escape(f"QR code of the address {text}", quote=True)
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)
