"""``microcred deliver`` (send an award's claim email again) and ``microcred worker`` (run the
job queue in a process of its own): see ``issuer/DELIVERY.md``."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.cli.common import (
    CREDENTIAL_ID_HELP,
    handle_errors,
    locate_data_dir,
    open_engine,
    open_service,
)

# The database, models and services are imported by each command when it runs: `microcred
# --help` reads this module's signatures and should not pay for them (issuer.cli.common).

__all__ = ["deliver", "register", "worker"]


@handle_errors
def deliver(
    credential_ids: Annotated[list[str], typer.Argument(metavar="ID...", help=CREDENTIAL_ID_HELP)],
    withdraw_links: Annotated[
        bool,
        typer.Option(
            "--withdraw-links",
            help="Withdraw the earlier claim links first (an email to a mistyped address, or "
            "forwarded): they stop working now.",
        ),
    ] = False,
) -> None:
    """Email each credential's educator a new claim link (queued; a worker sends it)."""
    from issuer.services.deliveries import request_deliveries
    from issuer.services.status import find_award

    with open_service() as (session, runtime):
        ids = [find_award(session, reference).id for reference in credential_ids]
        session.commit()
        rows = request_deliveries(
            session=session, runtime=runtime, award_ids=ids, withdraw_links=withdraw_links
        )
        for row in rows:
            typer.echo(f"{row.award_id}  delivery {row.id} queued for {row.recipient}")
    if not runtime.settings.workers_in_process:
        typer.echo("(sent by a `microcred worker` process)", err=True)


@handle_errors
def worker(
    threads: Annotated[
        int | None,
        typer.Option(min=1, max=32, help="Worker threads (default MICROCRED_WORKER_THREADS)."),
    ] = None,
) -> None:
    """Run the background job queue (emails) until interrupted."""
    import logging

    from issuer.cli.common import setup_logging
    from issuer.jobs import Jobs, Worker
    from issuer.runtime import start
    from issuer.settings import Settings

    setup_logging(logging.INFO)
    settings = Settings()
    locate_data_dir(settings, create=False)
    with open_engine(settings) as engine:
        runtime = start(settings, engine)
        jobs = runtime.jobs if isinstance(runtime.jobs, Jobs) else Jobs(settings)
        jobs.bind(runtime, engine)
        typer.echo(f"microcred worker on {engine.url.render_as_string()}", err=True)
        try:
            Worker(jobs, threads=threads or settings.worker_threads).run()
        finally:
            jobs.close()


def register(app: typer.Typer) -> None:
    """Attach ``deliver`` and ``worker`` to the ``microcred`` command."""
    app.command("deliver")(deliver)
    app.command("worker")(worker)
