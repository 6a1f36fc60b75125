"""``microcred serve`` on a port another process holds: one plain line, before anything else.

Before, the banner said "listening on …" and printed a new admin key, then uvicorn failed to
bind; now the port is bound first, so nothing is prepared or printed when it is taken.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from issuer.cli.server import listen
from microcred.exit_codes import EXIT_UNAVAILABLE
from tests.issuer.support import TEST_KEK
from tests.issuer.support import run_cli as run


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 another program is listening on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


@pytest.mark.parametrize("extra", [[], ["--verifier-only"]])
def test_a_port_in_use_is_said_plainly_and_nothing_is_prepared(
    tmp_path: Path, taken_port: int, extra: list[str]
) -> None:
    data_dir = tmp_path / "var"
    env = {"MICROCRED_DATA_DIR": str(data_dir), "MICROCRED_KEY_ENCRYPTION_KEY": TEST_KEK}
    result = run(env, "serve", "--port", str(taken_port), *extra, code=EXIT_UNAVAILABLE)
    assert result.stderr == (
        f"error: port {taken_port} is in use on 127.0.0.1: stop the other process or use --port N\n"
    )
    assert result.stdout == ""
    assert not data_dir.exists()  # no database, no issuer key, no admin key made for nothing


def test_listen_holds_a_free_port_until_closed() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    sock = listen("127.0.0.1", port)
    try:
        assert sock.getsockname() == ("127.0.0.1", port)
        with pytest.raises(typer.Exit) as taken:  # held until closed: a second serve is refused
            listen("127.0.0.1", port)
        assert taken.value.exit_code == EXIT_UNAVAILABLE
    finally:
        sock.close()
    listen("127.0.0.1", port).close()  # closed: free again at once
