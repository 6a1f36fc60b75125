"""``microcred init`` and ``microcred serve``: prepare the data directory, run the service.

``init`` creates the schema, records the public base URL, and makes the first issuer with its
keys (and the demo catalog); ``serve`` does the same on first start, then runs the issuer's
HTTP service — or, with ``--verifier-only``, the verifier alone, which needs no issuer data.

uvicorn logs through :func:`issuer.log_redaction.uvicorn_log_config`: a claim link's token is
never written to the access log (``/claim/…``).

``serve`` binds its port before anything else (:func:`listen`), so a port in use is one
``error:`` line and exit 69, not a "listening" banner followed by uvicorn's bind error.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from issuer.choices import DEFAULT_ISSUER_NAME, DidMethod
from issuer.cli.common import (
    fail,
    handle_errors,
    locate_data_dir,
    open_engine,
    open_service,
    report_prepared,
    setup_logging,
)
from microcred.exit_codes import EXIT_UNAVAILABLE, EXIT_USAGE

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).

__all__ = ["init", "listen", "register", "run_server", "serve"]


@handle_errors
def init(
    base_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Public base URL ids and did:web are built on."),
    ] = None,
    issuer_name: Annotated[str, typer.Option(help="Name of the first issuer.")] = (
        DEFAULT_ISSUER_NAME
    ),
    issuer_slug: Annotated[
        str | None,
        typer.Option(metavar="SLUG", help="Slug of the first issuer (default: from the name)."),
    ] = None,
    did_method: Annotated[
        DidMethod | None,
        typer.Option(help="DID method of the first issuer (default: web on https, else key)."),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo catalog if it is empty.")] = True,
) -> None:
    """Prepare a data directory: schema, base URL, first issuer and keys, demo catalog."""
    from issuer.bootstrap import prepare
    from issuer.crypto_at_rest import warn_if_development
    from issuer.runtime import record_base_url
    from issuer.settings import Settings

    settings = Settings(base_url=base_url) if base_url else Settings()
    with open_service(settings, create=True) as (session, runtime):
        if base_url:
            record_base_url(session, base_url)
        prepared = prepare(
            session=session,
            runtime=runtime,
            issuer_name=issuer_name,
            issuer_slug=issuer_slug,
            did_method=did_method,
            demo=demo,
        )
        warn_if_development(runtime.kek)
        typer.echo(f"microcred data directory {settings.data_dir} is ready", err=True)
        typer.echo(f"  base URL   {runtime.urls.base}", err=True)
        report_prepared(prepared, runtime)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, or an ``error:`` line saying why not: exit 69
    when the port is in use or the address cannot be had, 64 for a host name that does not
    resolve. Called before the data directory is touched or anything printed; it listens at
    once, so the port is this process's alone (a second ``serve`` is refused, not bound beside
    it) and a client that connects during start-up waits in the backlog until served."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn binds: a restarted service gets its port back at once (TIME_WAIT), and a port
    # another process listens on is still refused.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # uvicorn's default backlog
    except socket.gaierror as error:
        sock.close()
        raise fail(f"cannot listen on {host}: {error.strerror or error}", EXIT_USAGE) from None
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise fail(
                f"port {port} is in use on {host}: stop the other process or use --port N",
                EXIT_UNAVAILABLE,
            ) from None
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror or error}", EXIT_UNAVAILABLE
        ) from None
    sock.set_inheritable(True)
    return sock


def run_server(
    app: Any, sock: socket.socket, *, host: str, port: int, options: dict[str, Any]
) -> None:
    """Serve ``app`` in this process on the socket :func:`listen` bound (uvicorn closes it)."""
    import uvicorn

    from issuer.log_redaction import uvicorn_log_config

    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", log_config=uvicorn_log_config(), **options
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # the app's start-up failed; uvicorn has said why
        raise typer.Exit(EXIT_UNAVAILABLE)


def _serve_verifier(
    sock: socket.socket, host: str, port: int, server_options: dict[str, Any]
) -> None:
    """The verifier alone: no issuer data, no keys (it reads its own settings)."""
    try:
        from verifier.http import create_verifier_app
    except ImportError:
        sock.close()
        raise fail("the verifier service is not available in this installation yet") from None
    run_server(create_verifier_app(), sock, host=host, port=port, options=server_options)


def _server_options(
    tls_cert: Path | None,
    tls_key: Path | None,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
) -> dict[str, Any]:
    """uvicorn's TLS and proxy-header options. TLS here is for local testing and small offices;
    production terminates TLS at a reverse proxy (``issuer/VC_API.md``)."""
    if (tls_cert is None) != (tls_key is None):
        raise fail("--tls-cert and --tls-key go together: give both, or neither", EXIT_USAGE)
    options: dict[str, Any] = {"proxy_headers": proxy_headers}
    if forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = forwarded_allow_ips
    if tls_cert is not None and tls_key is not None:
        options |= {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
    return options


@handle_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    verifier_only: Annotated[
        bool, typer.Option(help="Serve only the verifier (no issuing, no keys).")
    ] = False,
    demo: Annotated[bool, typer.Option(help="Load the demo catalog if it is empty.")] = True,
    workers: Annotated[
        int, typer.Option(help="Worker processes (signing is CPU-bound: one per core).", min=1)
    ] = 1,
    tls_cert: Annotated[
        Path | None,
        typer.Option(
            help="PEM certificate (chain): serve HTTPS without a proxy (with --tls-key).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(help="PEM private key of --tls-cert.", exists=True, dir_okay=False),
    ] = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            help="Read the client address and scheme from X-Forwarded-For/-Proto sent by the "
            "proxies of --forwarded-allow-ips."
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated addresses of reverse proxies to trust ('*': any); default "
            "$FORWARDED_ALLOW_IPS or 127.0.0.1."
        ),
    ] = None,
) -> None:
    """Run the issuer service: migrate, create the first issuer on first start, serve."""
    server_options = _server_options(tls_cert, tls_key, proxy_headers, forwarded_allow_ips)
    sock = listen(host, port)
    if verifier_only:
        _serve_verifier(sock, host, port, server_options)
        return
    try:
        _serve_issuer(sock, host, port, demo, workers, server_options)
    finally:
        sock.close()  # a start-up that failed gives the port back; closing twice is harmless


def _serve_issuer(
    sock: socket.socket,
    host: str,
    port: int,
    demo: bool,
    workers: int,
    server_options: dict[str, Any],
) -> None:
    """Prepare the data directory, print the banner, serve the issuer on ``sock``."""
    from issuer.settings import Settings

    settings = Settings()
    locate_data_dir(settings, create=True)
    from sqlmodel import Session

    from issuer.bootstrap import prepare
    from issuer.runtime import start

    setup_logging(logging.INFO)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    scheme = "https" if "ssl_certfile" in server_options else "http"
    listen_url = f"{scheme}://{shown_host}:{port}"
    with open_engine(settings) as engine:
        runtime = start(settings, engine, default_base_url=listen_url)
        with Session(engine) as session:
            prepared = prepare(session=session, runtime=runtime, demo=demo)
        typer.echo(f"microcred issuer listening on {listen_url}", err=True)
        typer.echo(f"  public URL {runtime.urls.base}", err=True)
        typer.echo(f"  admin API  {listen_url}/docs", err=True)
        report_prepared(prepared, runtime)
        with _job_worker(settings, runtime, engine):
            _serve_app(sock, host, port, workers, settings, engine, runtime, server_options)


@contextmanager
def _job_worker(settings: Any, runtime: Any, engine: Any) -> Iterator[None]:
    """The background job worker (emails) in threads of this process while the server runs,
    unless ``MICROCRED_WORKERS_IN_PROCESS=0`` (then ``microcred worker`` processes run it)."""
    from issuer.jobs import Jobs, Worker

    if not settings.workers_in_process or not isinstance(runtime.jobs, Jobs):
        yield
        return
    runtime.jobs.bind(runtime, engine)
    worker = Worker(runtime.jobs, threads=settings.worker_threads)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
        runtime.jobs.close()


def _serve_app(
    sock: socket.socket,
    host: str,
    port: int,
    workers: int,
    settings: Any,
    engine: Any,
    runtime: Any,
    server_options: dict[str, Any],
) -> None:
    """Serve the issuer app: in this process, or in ``workers`` uvicorn worker processes."""
    import uvicorn

    from issuer.app import create_app
    from issuer.log_redaction import uvicorn_log_config

    if workers > 1:
        # Each worker process builds its own app from the same environment. uvicorn binds
        # the port again in this process right away (nothing runs in between), then forks.
        sock.close()
        uvicorn.run(
            "issuer.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            log_config=uvicorn_log_config(),  # claim tokens redacted in every worker's logs
            **server_options,
        )
        return
    app = create_app(settings, engine=engine, runtime=runtime)
    run_server(app, sock, host=host, port=port, options=server_options)


def register(app: typer.Typer) -> None:
    """Attach ``init`` and ``serve`` to the ``microcred`` command."""
    app.command("init")(init)
    app.command("serve")(serve)
