"""The issuer's commands: ``init``, ``serve``, ``award``, ``catalog``, ``issuer``,
``credentials`` and ``apikey``.

Every command works on the data directory and database the ``MICROCRED_*`` settings name,
directly — no server needs to be running — through the same service functions the HTTP API
calls, so a credential awarded here is the one the API would have issued. Output meant for
scripts (credentials, JWTs, ``--json``) goes to stdout; progress and notices go to stderr.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from issuer.bootstrap import DEFAULT_ISSUER_NAME, Prepared, prepare
from issuer.crypto_at_rest import KekError, warn_if_development
from issuer.db import begin_write, make_engine
from issuer.models import (
    ApiKey,
    AwardCreate,
    BatchRowResult,
    DidMethod,
    Issuer,
    IssuerCreate,
    Scope,
)
from issuer.runtime import Runtime, record_base_url, start
from issuer.services import apikeys, awards, batch, catalog, demo, issuers
from issuer.services.errors import ServiceError
from issuer.settings import Settings
from schemas.dates import utcnow

__all__ = ["register"]

log = logging.getLogger("microcred.issuer.cli")

catalog_app = typer.Typer(help="The catalog of achievements.", no_args_is_help=True)
issuer_app = typer.Typer(help="Issuers and their keys.", no_args_is_help=True)
credentials_app = typer.Typer(help="Read issued credentials back.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for the admin API.", no_args_is_help=True)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    ldp = "ldp"
    jwt = "jwt"


class JwtKeyChoice(StrEnum):
    p256 = "P-256"
    rsa = "RSA"


# ------------------------------------------------------------------------------ plumbing


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Log lines to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def _setup_logging(level: int = logging.WARNING) -> None:
    """Notices on stderr, so stdout carries only what scripts read."""
    root = logging.getLogger("microcred")
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())
    root.setLevel(level)


def _errors(function: F) -> F:
    """Service errors and invalid values become one ``error:`` line and exit status 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ValidationError as error:
            raise _fail(batch.describe_validation_error(error)) from None
        except (ServiceError, KekError) as error:
            raise _fail(str(error)) from None
        except OperationalError as error:
            raise _fail(f"cannot use the database: {error.orig or error}") from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def _engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _service(
    settings: Settings | None = None, *, default_base_url: str | None = None
) -> Iterator[tuple[Session, Runtime]]:
    """A migrated database session and the runtime, for one command."""
    _setup_logging()
    settings = settings or Settings()
    with _engine(settings) as engine:
        runtime = start(settings, engine, default_base_url=default_base_url)
        with Session(engine) as session:
            yield session, runtime


def _first_issuer(session: Session) -> Issuer:
    row = session.exec(select(Issuer).order_by(Issuer.id)).first()  # type: ignore[arg-type]
    if row is None:
        raise ServiceError("there is no issuer yet: run `microcred init` first")
    return row


def _report_prepared(prepared: Prepared, runtime: Runtime) -> None:
    out = functools.partial(typer.echo, err=True)
    issuer = prepared.issuer
    out(f"  issuer     {issuer.slug}  {issuer.did}")
    if issuer.did_method == DidMethod.key and not runtime.urls.is_https:
        out("             (did:key: did:web needs an https base URL, see MICROCRED_BASE_URL)")
    if prepared.achievements_loaded:
        out(f"  catalog    loaded {prepared.achievements_loaded} demo achievements")
    if prepared.admin_token:
        out("  admin key  " + prepared.admin_token)
        out("             (every issuer, every scope; shown only now, it is stored hashed)")


# ------------------------------------------------------------------------------ init, serve


@_errors
def init(
    base_url: Annotated[
        str | None, typer.Option(help="Public base URL ids and did:web are built on.")
    ] = None,
    issuer_name: Annotated[str, typer.Option(help="Name of the first issuer.")] = (
        DEFAULT_ISSUER_NAME
    ),
    issuer_slug: Annotated[
        str | None, typer.Option(help="Slug of the first issuer (default: from the name).")
    ] = None,
    did_method: Annotated[
        DidMethod | None,
        typer.Option(help="DID method of the first issuer (default: web on https, else key)."),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo catalog if it is empty.")] = True,
) -> None:
    """Prepare the data directory: schema, base URL, first issuer and keys, demo catalog."""
    settings = Settings(base_url=base_url) if base_url else Settings()
    with _service(settings) as (session, runtime):
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
        _report_prepared(prepared, runtime)


def _serve_verifier(host: str, port: int, server_options: dict[str, Any]) -> None:
    """The verifier alone: no issuer data, no keys (it reads its own settings)."""
    try:
        from verifier.http import create_verifier_app
    except ImportError:
        raise _fail("the verifier service is not available in this installation yet") from None
    import uvicorn

    uvicorn.run(create_verifier_app(), host=host, port=port, **server_options)


def _server_options(
    tls_cert: Path | None,
    tls_key: Path | None,
    proxy_headers: bool,
    forwarded_allow_ips: str | None,
) -> dict[str, Any]:
    """uvicorn's TLS and proxy-header options. TLS here is for local testing and small offices;
    production terminates TLS at a reverse proxy (``issuer/VC_API.md``)."""
    if (tls_cert is None) != (tls_key is None):
        raise _fail("--tls-cert and --tls-key go together: give both, or neither", 64)
    options: dict[str, Any] = {"proxy_headers": proxy_headers}
    if forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = forwarded_allow_ips
    if tls_cert is not None and tls_key is not None:
        options |= {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
    return options


@_errors
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
    if verifier_only:
        _serve_verifier(host, port, server_options)
        return
    settings = Settings()
    import uvicorn

    from issuer.app import create_app

    _setup_logging(logging.INFO)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    scheme = "https" if "ssl_certfile" in server_options else "http"
    listen_url = f"{scheme}://{shown_host}:{port}"
    with _engine(settings) as engine:
        runtime = start(settings, engine, default_base_url=listen_url)
        with Session(engine) as session:
            prepared = prepare(session=session, runtime=runtime, demo=demo)
        typer.echo(f"microcred issuer listening on {listen_url}", err=True)
        typer.echo(f"  public URL {runtime.urls.base}", err=True)
        typer.echo(f"  admin API  {listen_url}/docs", err=True)
        _report_prepared(prepared, runtime)
        if workers > 1:
            # Each worker process builds its own app from the same environment.
            engine.dispose()
            uvicorn.run(
                "issuer.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                **server_options,
            )
            return
        app = create_app(settings, engine=engine, runtime=runtime)
        uvicorn.run(app, host=host, port=port, log_level="info", **server_options)


# ------------------------------------------------------------------------------ catalog


@catalog_app.command("load")
@_errors
def catalog_load(
    name: Annotated[str, typer.Argument(help="Which catalog: 'demo' (New Mexico APL).")],
    issuer: Annotated[
        str | None, typer.Option(help="Issuer slug (default: the first issuer).")
    ] = None,
) -> None:
    """Load a bundled catalog. Achievements already there are left unchanged."""
    if name != "demo":
        raise _fail(f"unknown catalog {name!r}; the bundled one is 'demo'", 64)
    with _service() as (session, runtime):
        prepared = prepare(session=session, runtime=runtime, demo=False)
        if prepared.first_start:
            _report_prepared(prepared, runtime)
        owner = issuers.get_issuer(session, issuer) if issuer else prepared.issuer
        loaded = demo.load_demo_catalog(session=session, runtime=runtime, issuer=owner)
        typer.echo(f"loaded {len(loaded)} achievements into {owner.slug}'s catalog", err=True)
        for row in loaded:
            typer.echo(row.slug)


@catalog_app.command("list")
@_errors
def catalog_list(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The current version of every achievement."""
    with _service() as (session, _):
        rows = catalog.list_achievements(session)
        owners = {r.id: r.slug for r in issuers.list_issuers(session)}
        items = [
            {
                "slug": r.slug,
                "version": r.version,
                "name": r.document["name"],
                "issuer": owners.get(r.issuer_id),
                "id": r.document["id"],
            }
            for r in rows
        ]
    if json_output:
        typer.echo(json.dumps(items, indent=2))
        return
    for item in items:
        typer.echo(f"{item['slug']:50} v{item['version']:<3} {item['name']}")


# ------------------------------------------------------------------------------ issuers


@issuer_app.command("create")
@_errors
def issuer_create(
    slug: Annotated[str, typer.Option(help="URL slug, e.g. albuquerque-public-schools.")],
    name: Annotated[str, typer.Option(help="The organization's name.")],
    url: Annotated[str | None, typer.Option(help="Its web site.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact email.")] = None,
    phone: Annotated[str | None, typer.Option(help="Contact phone.")] = None,
    description: Annotated[str | None, typer.Option(help="A description.")] = None,
    image: Annotated[str | None, typer.Option(help="Logo URL (https or data:).")] = None,
    parent: Annotated[str | None, typer.Option(help="Slug of the parent organization.")] = None,
    other_identifier: Annotated[
        list[str] | None,
        typer.Option(help="TYPE=VALUE, e.g. ext:NCESDistrictID=3500060 (repeatable)."),
    ] = None,
    did_method: Annotated[DidMethod | None, typer.Option(help="web or key.")] = None,
    jwt_key: Annotated[JwtKeyChoice, typer.Option(help="VC-JWT key type.")] = JwtKeyChoice.p256,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an issuer with its DID and keys."""
    identifiers = []
    for entry in other_identifier or []:
        kind, sep, value = entry.partition("=")
        if not sep:
            raise _fail(f"--other-identifier {entry!r} is not TYPE=VALUE", 64)
        identifiers.append({"identifierType": kind, "identifier": value})
    data = IssuerCreate.model_validate(
        {
            "slug": slug,
            "name": name,
            "url": url,
            "email": email,
            "phone": phone,
            "description": description,
            "image": image,
            "parent": parent,
            "other_identifiers": identifiers,
            "did_method": did_method,
            "jwt_key_type": jwt_key.value,
        }
    )
    with _service() as (session, runtime):
        row = issuers.create_issuer(session=session, runtime=runtime, data=data)
        view = issuers.issuer_public(session, runtime, row)
    if json_output:
        typer.echo(view.model_dump_json(indent=2))
    else:
        typer.echo(f"{view.slug}  {view.did}")


@issuer_app.command("list")
@_errors
def issuer_list(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every issuer with its DID."""
    with _service() as (session, runtime):
        views = [issuers.issuer_public(session, runtime, r) for r in issuers.list_issuers(session)]
    if json_output:
        typer.echo(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
        return
    for view in views:
        typer.echo(f"{view.slug:40} {view.did}")


@issuer_app.command("rotate-keys")
@_errors
def issuer_rotate_keys(slug: Annotated[str, typer.Argument(help="The issuer's slug.")]) -> None:
    """New signing keys from now on; old public keys stay published, old credentials verify."""
    with _service() as (session, runtime):
        rows = issuers.rotate_keys(session=session, runtime=runtime, slug=slug)
        did = issuers.get_issuer(session, slug).did
    typer.echo(f"issuer {slug} now signs as {did} with:", err=True)
    for row in rows:
        typer.echo(f"{row.purpose:4} {row.key_type:8} {row.verification_method}")


# ------------------------------------------------------------------------------ awards


def _award_issuer(session: Session, issuer: str | None, achievement: str | None) -> Issuer:
    if issuer is not None:
        return issuers.get_issuer(session, issuer)
    if achievement is not None:
        row = catalog.get_achievement(session, achievement)
        owner = session.get(Issuer, row.issuer_id)
        assert owner is not None
        return owner
    rows = issuers.list_issuers(session)
    if len(rows) == 1:
        return rows[0]
    raise ServiceError("several issuers: say which with --issuer SLUG")


def _award_csv(
    session: Session,
    runtime: Runtime,
    owner: Issuer,
    csv_file: Path,
    achievement: str | None,
    batch_id: str | None,
    json_output: bool,
) -> None:
    from rich.console import Console
    from rich.progress import Progress

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"cannot read {csv_file}: {error}", 64) from None
    rows = batch.rows_from_csv(text, achievement=achievement)
    console = Console(stderr=True)
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task(f"awarding {csv_file.name}", total=len(rows))

        def advance(result: BatchRowResult) -> None:
            progress.advance(task)
            if not result.ok:
                progress.console.print(f"row {result.row}: {result.error}", markup=False)

        result = batch.award_batch(
            session=session,
            runtime=runtime,
            issuer=owner,
            rows=rows,
            batch_id=batch_id or f"csv:{csv_file.name}",
            progress=advance,
        )
    if json_output:
        typer.echo(result.model_dump_json(indent=2, exclude_none=True))
    typer.echo(
        f"{result.rows} rows: {result.ok} ok ({result.issued} newly issued, "
        f"{result.ok - result.issued} already issued), {result.failed} failed "
        f"[batch {result.batch_id}]",
        err=True,
    )
    if result.failed:
        raise typer.Exit(1)


@_errors
def award(
    achievement: Annotated[
        str | None,
        typer.Argument(help="Achievement slug (with --csv: for rows without one)."),
    ] = None,
    recipient_email: Annotated[str | None, typer.Option(help="The educator's email.")] = None,
    recipient_name: Annotated[str | None, typer.Option(help="The educator's name.")] = None,
    recipient_did: Annotated[str | None, typer.Option(help="The educator's DID, if any.")] = None,
    score: Annotated[str | None, typer.Option(help="Score, e.g. 92 (Percent).")] = None,
    rubric_level: Annotated[str | None, typer.Option(help="Rubric level, e.g. proficient.")] = None,
    evidence_url: Annotated[str | None, typer.Option(help="Link to the evidence.")] = None,
    evidence_narrative: Annotated[str | None, typer.Option(help="Evidence narrative.")] = None,
    assessor: Annotated[
        str | None, typer.Option(help="Who assessed it (kept, not published).")
    ] = None,
    awarded_date: Annotated[str | None, typer.Option(help="ISO 8601, default now.")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retrying with the same key returns the same credential.")
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(help="Issuer slug (default: the achievement's).")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="ldp (JSON) or jwt.")] = (
        OutputFormat.ldp
    ),
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Award every row of a CSV file.")
    ] = None,
    batch_id: Annotated[
        str | None, typer.Option(help="With --csv: names the batch (default: the file name).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="With --csv: print results.")] = False,
) -> None:
    """Award an achievement and print the signed credential (or award every row of --csv)."""
    with _service() as (session, runtime):
        owner = _award_issuer(session, issuer, achievement)
        if csv_file is not None:
            _award_csv(session, runtime, owner, csv_file, achievement, batch_id, json_output)
            return
        if achievement is None:
            raise _fail("give an ACHIEVEMENT slug (or --csv FILE)", 64)
        evidence = []
        if evidence_url or evidence_narrative:
            evidence.append({"url": evidence_url, "narrative": evidence_narrative})
        request = AwardCreate.model_validate(
            {
                k: v
                for k, v in {
                    "achievement": achievement,
                    "recipient_email": recipient_email,
                    "recipient_name": recipient_name,
                    "recipient_did": recipient_did,
                    "score": score,
                    "rubric_level": rubric_level,
                    "evidence": evidence,
                    "assessor": assessor,
                    "awarded_date": awarded_date,
                    "idempotency_key": idempotency_key,
                }.items()
                if v is not None
            }
        )
        outcome = awards.award(session=session, runtime=runtime, issuer=owner, request=request)
        row = outcome.award
        if not outcome.created:
            typer.echo(f"already issued with this idempotency key: {row.id}", err=True)
        if output is OutputFormat.jwt:
            typer.echo(row.credential_jwt)
        else:
            typer.echo(json.dumps(json.loads(row.credential), indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------ credentials


@credentials_app.command("list")
@_errors
def credentials_list(
    recipient_email: Annotated[str | None, typer.Option(help="Only this educator's.")] = None,
    achievement: Annotated[str | None, typer.Option(help="Only this achievement slug.")] = None,
    issuer: Annotated[str | None, typer.Option(help="Only this issuer's.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="A JSON array.")] = False,
) -> None:
    """Issued credentials, oldest first."""
    with _service() as (session, _):
        owner = issuers.get_issuer(session, issuer) if issuer else None
        rows = awards.list_awards(
            session,
            issuer=owner,
            recipient_email=recipient_email,
            achievement=achievement,
            limit=1_000_000,
        )
        views = [awards.award_public(session, r) for r in rows]
    if json_output:
        items = [v.model_dump(mode="json", exclude_none=True) for v in views]
        typer.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for view in views:
        typer.echo(
            f"{view.id}  {view.achievement:45} {view.status:8} {view.awarded:%Y-%m-%d}  "
            f"{view.recipient_name}"
        )


@credentials_app.command("show")
@_errors
def credentials_show(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="uuid or credential URL.")],
    output: Annotated[OutputFormat, typer.Option("--format", help="ldp (JSON) or jwt.")] = (
        OutputFormat.ldp
    ),
) -> None:
    """Print one issued credential as signed."""
    with _service() as (session, _):
        row = awards.get_award(session, credential_id)
    if output is OutputFormat.jwt:
        typer.echo(row.credential_jwt)
    else:
        typer.echo(json.dumps(json.loads(row.credential), indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------ API keys


@apikey_app.command("create")
@_errors
def apikey_create(
    scope: Annotated[
        list[Scope], typer.Option(help="catalog, issue, revoke or admin (repeatable).")
    ],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "api key",
    issuer: Annotated[str | None, typer.Option(help="The issuer the key acts for.")] = None,
    all_issuers: Annotated[
        bool, typer.Option(help="A key for every issuer (instead of --issuer).")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key and print its token (shown once; stored hashed)."""
    if (issuer is None) == (not all_issuers):
        raise _fail("give --issuer SLUG or --all-issuers", 64)
    with _service() as (session, _):
        owner = issuers.get_issuer(session, issuer) if issuer else None
        row, token = apikeys.create_api_key(session=session, name=name, scopes=scope, issuer=owner)
        view = apikeys.created_view(row, token, owner)
    if json_output:
        typer.echo(view.model_dump_json(indent=2))
        return
    typer.echo(
        f"API key {view.prefix} for {view.issuer or 'every issuer'}, scopes "
        f"{', '.join(view.scopes)} (shown only now, it is stored hashed):",
        err=True,
    )
    typer.echo(token)


@apikey_app.command("list")
@_errors
def apikey_list() -> None:
    """API keys (prefixes only: the tokens are not stored)."""
    with _service() as (session, _):
        owners = {r.id: r.slug for r in issuers.list_issuers(session)}
        for row in session.exec(select(ApiKey).order_by(ApiKey.id)).all():  # type: ignore[arg-type]
            state = "revoked" if row.revoked else "active"
            owner = owners.get(row.issuer_id, "every issuer") if row.issuer_id else "every issuer"
            typer.echo(f"{row.prefix}  {state:8} {owner:30} {','.join(row.scopes):24} {row.name}")


@apikey_app.command("revoke")
@_errors
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix.")]) -> None:
    """Revoke an API key: it stops working at once."""
    with _service() as (session, _):
        begin_write(session)
        row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if row is None:
            raise _fail(f"no API key {prefix!r}")
        row.revoked = row.revoked or utcnow()
        session.add(row)
        session.commit()
    typer.echo(f"revoked {prefix}", err=True)


def register(app: typer.Typer) -> None:
    """Attach the issuer's commands to the ``microcred`` command."""
    app.command("init")(init)
    app.command("serve")(serve)
    app.command("award")(award)
    app.add_typer(catalog_app, name="catalog")
    app.add_typer(issuer_app, name="issuer")
    app.add_typer(credentials_app, name="credentials")
    app.add_typer(apikey_app, name="apikey")
    from issuer import sharing_cli  # imports this module: attach it once this one is loaded

    sharing_cli.register(app)
    from issuer import cli_status

    cli_status.register(app)
    from issuer import stacks_cli

    stacks_cli.register(app)
