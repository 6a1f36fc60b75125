"""Schemathesis against the service's own OpenAPI document, in process (no network).

Shared by ``tests/issuer/test_openapi_contract.py`` (bounded, deterministic, in ``make test``)
and ``bench/schemathesis_soak.py`` (thousands of requests, ``make contract``):

* :func:`seeded_service` builds the issuer app over an empty database and makes real objects
  through the API — an issuer with the demo catalog (achievements and stacks) and a second
  one, awards (one revoked, one suspended), a batch whose id is ``"00"``, a VC-API credential
  served at one of the service's own URLs — so that ``GET …/{id}`` paths reach real rows, not
  only 404s; its verifier fetches nothing outside the service (:class:`_Offline`);
* :func:`run_contract` loads ``/openapi.json`` from the app with schemathesis' ASGI loader and
  runs its engine (the phases ``schemathesis run`` runs: examples, coverage, fuzzing,
  stateful) with an admin API key, path and query parameters and top-level body members
  drawn half the time from the seeded values (:func:`_seed_hooks`), and the checks in
  :data:`CHECKS`;
* every request is counted, and every 5xx seen, by a thin ASGI wrapper around the app
  (:class:`_Counter`), not taken from schemathesis' own report.

**What a schema cannot say.** ``positive_data_acceptance`` expects a request that conforms to
the document to be accepted (2xx, or 401/403/404/409). A few operations refuse conforming
requests for reasons no JSON Schema can state: a score below the achievement's pass rule
(which lives in the database), an image that is not a PNG or SVG, a credential whose proof does
not verify (the VC-API requires 400 for that). :data:`SEMANTIC_REFUSALS` lists them, each with
the statuses it may add and why; everything else the document can express, it does.
"""

from __future__ import annotations

import re
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.engine import events
from schemathesis.engine import from_schema as engine_for
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from issuer.app import create_app
from issuer.models import Scope as KeyScope
from issuer.own_trust import own_issuers_source
from issuer.runtime import Runtime
from issuer.self_fetch import SelfFetcher
from issuer.services.apikeys import create_api_key
from issuer.services.demo import load_demo_catalog
from issuer.settings import Settings
from keys.errors import FetchBlocked
from keys.fetch import FetchedDocument
from tests.issuer.support import BASE_URL, GOOD_AWARD, ISSUER, bearer, make_issuer
from verifier.service import Verifier
from verifier.settings import VerifierSettings

__all__ = [
    "CHECKS",
    "SEMANTIC_REFUSALS",
    "ContractRun",
    "SeededService",
    "run_contract",
    "seeded_service",
]

#: A second issuer (no catalog): a parent for the first, another tenant.
OTHER_ISSUER = "district-7"

#: The checks every run applies (schemathesis' names).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ensure_resource_availability",
    "use_after_free",
    "ignored_auth",
    "missing_required_header",
    "unsupported_method",
)

#: What ``positive_data_acceptance`` accepts everywhere (its default): the request was
#: understood, whatever the server then made of it.
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]

_PARENT = "the parent must be another issuer that exists"
_PASS_RULE = (
    "a result description's pass rule must hold together: requiredValue within "
    "valueMin..valueMax and among allowedValue, requiredLevel one of the rubric's levels, keys "
    "unique"
)
_RULE = (
    "a stack rule's requirement ids are unique through the whole tree, a choice picks at most "
    "as many as it lists, nesting is at most 6 deep"
)
_VC = (
    "a credential must hold to the VC data model: every term defined by its @context, every "
    "context one the service carries (400 malformed, 422 not processable, as the VC-API says)"
)
_NOT_A_CREDENTIAL = "a body that holds no credential in any form (any verdict is 200)"

#: Operations that refuse some schema-valid requests, for a reason the document cannot carry:
#: ``(method, path) -> (the statuses they may add, why)``.
SEMANTIC_REFUSALS: dict[tuple[str, str], tuple[tuple[int, ...], str]] = {
    ("POST", "/api/issuers"): ((422,), _PARENT),
    ("PUT", "/api/issuers/{issuer_slug}"): ((422,), _PARENT),
    ("POST", "/api/issuers/{issuer_slug}/achievements"): ((422,), _PASS_RULE),
    ("PUT", "/api/issuers/{issuer_slug}/achievements/{slug}"): ((422,), _PASS_RULE),
    ("POST", "/api/issuers/{issuer_slug}/awards"): (
        (422,),
        "the achievement must be in the issuer's catalog and the result must meet its pass "
        "rule (both stored); the activity must end after it starts",
    ),
    ("POST", "/api/issuers/{issuer_slug}/batches"): (
        (422,),
        "a batch_id given both in the query and in the body must be the same; a CSV's header "
        "must name the required columns, each once",
    ),
    ("GET", "/credentials/{credential_id}/certificate"): (
        (410,),
        "a revoked credential has no certificate, for good (its status is stored)",
    ),
    ("POST", "/api/issuers/{issuer_slug}/stacks"): ((422,), _RULE),
    ("PUT", "/api/issuers/{issuer_slug}/stacks/{slug}"): ((422,), _RULE),
    ("POST", "/api/issuers/{issuer_slug}/submissions"): (
        (422,),
        "a component counts only once it verifies (proof, issuer key, dates, recipient)",
    ),
    ("POST", "/api/bake"): (
        (422,),
        "the image must be a PNG, or an SVG without script; the credential JSON or a JWS",
    ),
    ("POST", "/credentials/issue"): ((400, 422), _VC),
    ("POST", "/instance/{tenant}/credentials/issue"): ((400, 422), _VC),
    ("POST", "/credentials/verify"): ((400,), "a credential that does not verify is 400"),
    ("POST", "/presentations/verify"): ((400,), "a presentation that does not verify is 400"),
    ("POST", "/verify"): ((400,), _NOT_A_CREDENTIAL),
    ("POST", "/verify/stack"): ((400,), _NOT_A_CREDENTIAL),
    ("GET", "/verify"): (
        (400,),
        "a badge link the fetch guard refuses (in this run: every link outside the service)",
    ),
    ("POST", "/oid4vci/token"): (
        (400,),
        "a pre-authorized code is good only if this service minted it, once, before it expires "
        "(OAuth answers invalid_grant with 400)",
    ),
    ("POST", "/oauth/register"): (
        (400,),
        "every URL https on the client_uri's host, redirect URIs among them; the scope names "
        "only the OB 3.0 API's four (RFC 7591 answers invalid_client_metadata / "
        "invalid_redirect_uri with 400)",
    ),
    ("POST", "/oauth/token"): (
        (400,),
        "a code or refresh token is good only if this service issued it to this client, "
        "unspent and unexpired, with the PKCE verifier of its challenge (invalid_grant, 400)",
    ),
    ("POST", "/oauth/revoke"): ((400,), "the token to revoke must be named (invalid_request)"),
    ("POST", "/oid4vci/credential"): (
        (400,),
        "a key proof must be signed for this issuer around now with a nonce it handed out "
        "(OID4VCI answers invalid_proof / invalid_nonce with 400)",
    ),
}


@dataclass
class SeededService:
    """The app over a seeded database, an admin token, and real values for parameters and
    body members (``name -> values``)."""

    app: FastAPI
    token: str
    #: Path and query parameters.
    known: dict[str, list[str]]
    #: Top-level members of JSON bodies.
    known_body: dict[str, list[Any]]


@contextmanager
def seeded_service(settings: Settings, engine: Engine, runtime: Runtime) -> Iterator[SeededService]:
    """The issuer app over ``engine``'s database (empty, migrated) once it holds one of each
    object the API serves (see the module docstring)."""
    with Session(engine) as session:
        issuer = make_issuer(session, runtime)
        load_demo_catalog(session=session, runtime=runtime, issuer=issuer)
        make_issuer(session, runtime, slug=OTHER_ISSUER, name="District 7")
        token = create_api_key(
            session=session, name="contract", scopes=[KeyScope.admin], issuer=None
        )[1]
    app = create_app(settings, engine=engine, runtime=runtime)
    with TestClient(app, base_url=BASE_URL) as client:
        known, known_body = _seed(client, bearer(token))
    _offline(app, engine)  # after the client's lifespan closed the app's own verifier
    try:
        yield SeededService(app=app, token=token, known=known, known_body=known_body)
    finally:
        app.state.verifier.close()


class _Offline:
    """The verifier's fetcher for every URL that is not the service's own: refused, so that
    fuzzed badge links, did:web issuers and status lists never reach the network."""

    def fetch(self, url: str, *, accept: str = "application/json") -> FetchedDocument:
        raise FetchBlocked(f"{url}: the contract run fetches nothing outside the service", url=url)

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        return self.fetch(url, accept=accept).json()


def _offline(app: FastAPI, engine: Engine) -> None:
    """Give the app (``/verify``, the badge pages, submissions) a verifier that answers the
    service's own URLs in process and refuses all others (:class:`_Offline`)."""
    app.state.verifier.close()
    app.state.verifier = Verifier.from_settings(
        VerifierSettings(),
        wrap_fetcher=lambda _guard: SelfFetcher(app, BASE_URL, _Offline()),
        trust_source=own_issuers_source(engine),
    )


def _seed(
    client: TestClient, auth: dict[str, str]
) -> tuple[dict[str, list[str]], dict[str, list[Any]]]:
    """Objects made through the API itself; returns the values that name them."""
    api = f"/api/issuers/{ISSUER}"
    awards = []
    for n, key in enumerate(("seed-active", "seed-revoked", "seed-suspended")):
        body = {**GOOD_AWARD, "recipient_email": f"educator{n}@schools.nm.example"}
        response = client.post(f"{api}/awards", json=body, headers={**auth, "Idempotency-Key": key})
        assert response.status_code == 201, response.text
        awards.append(response.json())
    for award, action in zip(awards[1:], ("revoke", "suspend"), strict=True):
        response = client.post(
            f"{api}/credentials/{award['id']}/{action}", json={"reason": "seed"}, headers=auth
        )
        assert response.status_code == 200, response.text
    batch = {"batch_id": "00", "rows": [{**GOOD_AWARD, "recipient_email": "b@schools.nm.example"}]}
    response = client.post(f"{api}/batches", json=batch, headers=auth)
    assert response.status_code == 200, response.text
    issuer_did = client.get(api, headers=auth).json()["did"]
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"{BASE_URL}/vc-api/credentials/seeded",
        "type": ["VerifiableCredential"],
        "issuer": issuer_did,
        "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
    }
    response = client.post(
        "/credentials/issue",
        json={"credential": credential, "options": {"credentialStatus": True}},
        headers=auth,
    )
    assert response.status_code == 201, response.text
    signed = awards[0]["credential"]
    lists = sorted({entry["statusListCredential"] for entry in signed["credentialStatus"]})
    ids = [a["id"] for a in awards]
    badge_links = [a["url"] for a in awards]
    params = {
        "issuer_slug": [ISSUER, OTHER_ISSUER],
        "tenant": [ISSUER],
        "slug": ["classroom-environment", "apl-i-ii", ISSUER],
        "version_ref": ["v1", "v1.json"],
        "credential_id": ids,
        "credential_ref": [*ids, f"{ids[0]}.json", f"{ids[0]}.jwt"],
        "batch_id": ["00"],
        "list_id": [url.rsplit("/", 1)[1] for url in lists],
        "name": ["seeded"],
        "credential": ids[:1],
        "recipient_email": ["educator0@schools.nm.example"],
        "achievement": ["classroom-environment"],
        "url": badge_links,
    }
    body = {
        "achievement": ["classroom-environment"],
        "parent": [ISSUER, OTHER_ISSUER],
        "recipient_email": ["educator0@schools.nm.example"],
        "url": badge_links,
        "credentialId": [credential["id"], *badge_links],
        "credentials": [ids],
    }
    return params, body


# ------------------------------------------------------------------------------ the run


@dataclass
class ContractRun:
    """What a run did: requests the app received, its 5xx answers, and each failed check."""

    requests: int = 0
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)
    by_code: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    @property
    def schema_violations(self) -> int:
        """Responses whose status, media type, body or headers the document does not allow."""
        return sum(self.by_code[c] for c in ("ST103", "ST105", "ST106", "ST107", "ST108"))

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "server_errors": self.server_errors,
            "schema_violations": self.schema_violations,
            "failed_checks": dict(sorted(self.by_code.items())),
            "errors": len(self.errors),
        }


class _Counter:
    """Counts the requests the app gets and the 5xx it answers (no trust in the tool).

    It answers lifespan events itself: the app's own shutdown would close its verifier, and
    schemathesis starts and stops a client (a lifespan) just to read ``/openapi.json``.
    """

    def __init__(self, app: ASGIApp, run: ContractRun) -> None:
        self.app = app
        self.run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.run.requests += 1

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 500:
                self.run.server_errors += 1
            await send(message)

        await self.app(scope, receive, counting_send)

    def __getattr__(self, name: str) -> Any:  # schemathesis reads app attributes (state, …)
        return getattr(self.app, name)


def _config(
    token: str,
    *,
    max_examples: int,
    seed: int,
    phases: tuple[str, ...],
    max_steps: int,
    continue_on_failure: bool,
) -> schemathesis.Config:
    # Only the checks named (``allow_header_conformance``, for one, is not ours to pass yet).
    checks: dict[str, Any] = {"enabled": False} | {name: {"enabled": True} for name in CHECKS}
    checks["positive_data_acceptance"]["expected-statuses"] = _ACCEPTED
    operations = [
        {
            "include-name": f"{method} {path}",
            "checks": {"positive_data_acceptance": {"expected-statuses": [*_ACCEPTED, *statuses]}},
        }
        for (method, path), (statuses, _) in SEMANTIC_REFUSALS.items()
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": seed,
            "workers": 1,
            # Hypothesis' health checks judge the generation of data (too slow on a busy
            # machine, too much filtered for an operation with little to vary), not the service.
            "suppress-health-check": ["all"],
            "continue-on-failure": continue_on_failure,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
            },
            "checks": checks,
            "phases": {
                name: {"enabled": name in phases}
                | ({"max-steps": max_steps} if name == "stateful" else {})
                for name in ("examples", "coverage", "fuzzing", "stateful")
            },
            "operations": operations,
        }
    )


def _seed_hooks(schema: Any, service: SeededService) -> None:
    """Half of the generated cases get real values for their path and query parameters and
    top-level body members (only where those were generated valid: a negative case stays
    negative), so that operations reach real objects and not only 404s."""

    def with_real_values(context: Any, case: Any) -> Any:
        meta = case.meta
        # Not in the stateful phase: there the values come from earlier responses (links).
        if meta is None or meta.phase.name.value == "stateful":
            return st.just(case)
        swaps: dict[str, dict[str, Any]] = {}
        for location, container, known in (
            ("path", "path_parameters", service.known),
            ("query", "query", service.known),
            ("body", "body", service.known_body),
        ):
            info = meta.components.get(location)
            values = getattr(case, container)
            if info is None or not info.mode.is_positive or not isinstance(values, dict):
                continue
            names = [n for n, v in values.items() if n in known and v is not None]
            if names:
                swaps[container] = {n: st.sampled_from(known[n]) for n in names}
        if not swaps:
            return st.just(case)

        def apply(real: dict[str, dict[str, Any]]) -> Any:
            # Each example draws a case of its own, so changing this one is safe.
            for container, values in real.items():
                setattr(case, container, {**getattr(case, container), **values})
            return case

        chosen = st.fixed_dictionaries({c: st.fixed_dictionaries(v) for c, v in swaps.items()})
        return st.one_of(st.just(case), chosen.map(apply))

    schema.hooks.register_hook_with_name(with_real_values, "flatmap_case")


def run_contract(
    service: SeededService,
    *,
    max_examples: int,
    seed: int = 17,
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful"),
    max_steps: int = 10,
    continue_on_failure: bool = False,
    only: str | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> ContractRun:
    """Run schemathesis' engine against ``service`` in process; see the module docstring.
    ``continue_on_failure``: keep testing an operation after its first failure (the soak);
    ``only``: a regular expression the operations' names (``POST /path``) must match."""
    run = ContractRun()
    config = _config(
        service.token,
        max_examples=max_examples,
        seed=seed,
        phases=phases,
        max_steps=max_steps,
        continue_on_failure=continue_on_failure,
    )
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", _Counter(service.app, run), config=config
    )
    if only is not None:  # (include() would be overridden by the per-operation config)
        schema = schema.exclude(func=lambda ctx: re.search(only, ctx.operation.label) is None)
    _seed_hooks(schema, service)
    for event in engine_for(schema).execute():
        if on_event is not None:
            on_event(event)
        if isinstance(event, events.ScenarioFinished):
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    failure = node.failure_info.failure
                    run.by_code[failure.code] += 1
                    run.failures.append(
                        f"{failure.code} {failure.operation}: {failure.title}\n"
                        f"{_indent(failure.message)}\n{_indent(node.failure_info.code_sample)}"
                        f"\n    (case {case_id})"
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            run.errors.append(_describe_error(event))
    return run


def _describe_error(event: Any) -> str:
    """An engine error with where it was raised (the app's traceback, for a server error) and
    the request that caused it."""
    error = getattr(event, "value", None) or getattr(event, "exception", None)
    lines = [f"{type(event).__name__} {getattr(event, 'label', '')}: {error or event}"]
    if isinstance(error, BaseException):
        lines.append(_indent("".join(traceback.format_exception(error))[-4000:]))
    sample = getattr(getattr(event, "info", None), "code_sample", None)
    if sample:
        lines.append(_indent(sample))
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
