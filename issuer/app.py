"""``create_app(settings)``: the issuing service as a FastAPI application.

Start-up work happens here, not at import: the KEK is loaded (production without one raises
:class:`issuer.crypto_at_rest.KekError`, so the service refuses to start), the schema migrated
and the base URL settled (:func:`issuer.runtime.start`). Tests pass their own settings and,
to share one migrated database, their own engine.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from issuer.api.body_limit import BodyLimitMiddleware
from issuer.api.csrf import install_csrf_handler
from issuer.api.errors import install_error_handlers
from issuer.api.imsx import install_imsx_handlers
from issuer.api.responses import SERVICE
from issuer.api.routes import awards, catalog, claims, deliveries, issuers, public, sharing
from issuer.api.routes import exchanges as exchange_routes
from issuer.api.routes import learners as learner_routes
from issuer.api.routes import oauth as oauth_routes
from issuer.api.routes import ob_api as ob_api_routes
from issuer.api.routes import ob_consumer as ob_consumer_routes
from issuer.api.routes import oid4vci as oid4vci_routes
from issuer.api.routes import stacks as stack_routes
from issuer.api.routes import status as status_routes
from issuer.api.routes import vcapi as vcapi_routes
from issuer.crypto_at_rest import warn_if_development
from issuer.db import make_engine
from issuer.own_lists import own_list_etags
from issuer.own_trust import own_issuers_source
from issuer.runtime import Runtime, start
from issuer.self_fetch import self_verifier
from issuer.settings import Settings, get_settings
from keys.fetch import GuardedFetcher
from verifier import http as verifier_http
from verifier.api_docs import install_docs
from verifier.security_headers import SecurityHeadersMiddleware
from verifier.settings import VerifierSettings, get_verifier_settings

__all__ = ["create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    runtime: Runtime | None = None,
    verifier_settings: VerifierSettings | None = None,
) -> FastAPI:
    """The issuer service. Raises ``KekError`` in production without a key-encryption key.

    ``verifier_settings`` configure ``/verify`` and the live verdict of the badge pages
    (default: ``MICROCRED_VERIFIER_*``).
    """
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or make_engine(settings)
    runtime = runtime or start(settings, engine)
    warn_if_development(runtime.kek)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.verifier.close()
        app.state.ob_push_fetcher.close()
        if owns_engine:
            engine.dispose()

    app = FastAPI(
        title="microcred issuer",
        summary="Open Badges 3.0 credentials for educator micro-credentials",
        lifespan=lifespan,
        docs_url=None,  # served offline below (verifier.api_docs), not from a CDN
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.runtime = runtime
    # Bodies are capped and admin writes authenticated before any body is read.
    verifier_settings = verifier_settings or get_verifier_settings()
    app.add_middleware(BodyLimitMiddleware, verify_limit=verifier_settings.max_body_bytes)
    # Outermost, so every response has them (a 413 too): security headers; CORS: anyone may
    # read (GET/HEAD) cross-origin, no other method ever (no ACAO on a POST); see
    # verifier.security_headers.
    app.add_middleware(SecurityHeadersMiddleware, public_reads=True)
    install_error_handlers(app)
    # A form POST without its CSRF token: a 403 page (issuer.api.csrf).
    install_csrf_handler(app)
    # Every operation reads the database, so each may answer its 503 (issuer.api.responses).
    for module in (issuers, catalog, awards, deliveries, public, sharing, claims):
        app.include_router(module.router, responses=SERVICE)
    # Stacks: each version's rule (public), the stack catalog, progress and submissions.
    app.include_router(stack_routes.router, responses=SERVICE)
    # Credential status: the published lists and the revoke/suspend admin API.
    app.include_router(status_routes.router, responses=SERVICE)
    # The verifier (POST/GET /verify and the page for people) in the same service, so an
    # office runs one process; it keeps its own settings (MICROCRED_VERIFIER_*).
    app.include_router(verifier_http.router, responses=SERVICE)
    verifier_http.install_busy_handler(app)
    # The W3C VC-API (and the DCC issuer-coordinator's /instance/{tenant} paths).
    app.include_router(vcapi_routes.router, responses=SERVICE)
    # Wallet exchanges: the Learner Credential Wallet's VC-API exchange and legacy deep link.
    app.include_router(exchange_routes.router, responses=SERVICE)
    # OpenID4VCI 1.0 (pre-authorized code): metadata, offers, token, nonce, credential.
    app.include_router(oid4vci_routes.router, responses=SERVICE)
    # Educators: sign-in by an email link, sessions, their own page /me (issue 16).
    app.include_router(learner_routes.router, responses=SERVICE)
    # The OB 3.0 API's OAuth 2.0 server: metadata, registration, authorize, token, revoke.
    app.include_router(oauth_routes.router, responses=SERVICE)
    # Pushing an educator's credential to their own OB 3.0 Host (issue 16, Service Consumer
    # (Write)): every request to the Host goes through a guarded fetcher under the verifier's
    # address policy (MICROCRED_VERIFIER_ALLOW_HTTP_LOCALHOST / _ALLOWED_PRIVATE_HOSTS).
    app.include_router(ob_consumer_routes.router, responses=SERVICE)
    app.state.ob_push_fetcher = GuardedFetcher(
        allow_http_localhost=verifier_settings.allow_http_localhost,
        allowed_private_hosts=verifier_settings.allowed_private_hosts,
    )
    # Where the push form's answer may redirect a browser (the page's CSP form-action): any
    # Host the fetcher may reach, which is any https origin (and plain http to localhost when
    # the development flag allows the fetcher that).
    app.state.ob_push_form_targets = ("https:",) + (
        ("http://localhost:*", "http://127.0.0.1:*")
        if verifier_settings.allow_http_localhost
        else ()
    )
    # The 1EdTech OB 3.0 API (Host): every error under it, a 503 too, is an Imsx_StatusInfo
    # (its own responses say so), so its handlers go after every other (issuer.api.imsx).
    app.include_router(ob_api_routes.router)
    install_imsx_handlers(app)
    # Where the service's icon is (issuer.services.favicon), for pages rendered outside
    # issuer/templates: the verify page links it from there…
    app.state.favicon = app.url_path_for(public.favicon_svg_file.__name__)
    # …and its way home: every page has one.
    app.state.home = app.url_path_for(public.index.__name__)
    install_docs(app, favicon=app.state.favicon)
    # One verifier for /verify and the badge pages' live verdict. Its fetcher answers this
    # service's own URLs (DID documents, status lists, badge links) in process and sends every
    # other URL through the SSRF guard (see issuer.self_fetch).
    # Its own issuers are a trust list it relies on ("this service's issuers"), after any
    # given by MICROCRED_VERIFIER_TRUST_LISTS: a forged "Demo Education Office" is not ours.
    # It keeps the service's own status lists while their rows say they are current.
    app.state.verifier = self_verifier(
        app,
        runtime.urls.base,
        verifier_settings,
        trust_source=own_issuers_source(engine),
        current_etag=own_list_etags(engine, runtime),
    )
    app.dependency_overrides[verifier_http.get_verifier] = lambda: app.state.verifier
    return app
