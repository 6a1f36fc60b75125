"""A free TCP port on 127.0.0.1 for a server a test starts (the service, an SMTP server, a
Host): the one helper every test that listens uses, so each does not carry its own."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the kernel's pick; a test binds it at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
