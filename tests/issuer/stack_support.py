"""Helpers for the stack tests: awarding components, a university outside the service, and a
fetcher whose network is the app (with documents replaced by URL, to forge them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from issuer.demo_catalog import APL_I_II, APL_II_III_ELECTIVES, APL_II_III_REQUIRED
from issuer.models import Award, AwardCreate
from issuer.runtime import Runtime
from issuer.services.awards import AwardOutcome, award
from keys.did import did_key
from keys.fetch import GuardedFetcher
from keys.keypairs import SigningKey
from keys.suites import ProofOptions, add_proof
from schemas.loader import bundled_loader
from schemas.samples import sample_masters_degree
from tests.issuer.support import ISSUER

__all__ = [
    "APL_I_II",
    "APL_II_III_ELECTIVES",
    "APL_II_III_REQUIRED",
    "EDUCATOR",
    "OTHER_EDUCATOR",
    "UNIVERSITY_KEY",
    "app_fetcher",
    "award_outcome",
    "award_to",
    "credentials_of",
    "masters_degree",
    "stack_awards",
    "trust_list",
    "university_did",
]

EDUCATOR = "maria.lopez@schools.nm.example"
OTHER_EDUCATOR = "jose.garcia@schools.nm.example"
#: The university that awards master's degrees: outside the service, a did:key.
UNIVERSITY_KEY = SigningKey.from_seed(bytes([41]) * 32)


def university_did(key: SigningKey = UNIVERSITY_KEY) -> str:
    return did_key(key.public_key)


def award_to(session: Session, runtime: Runtime, slug: str, **fields: Any) -> Award:
    """Award ``slug`` to an educator through the service (post-award hooks included)."""
    return award_outcome(session, runtime, slug, **fields).award


def award_outcome(
    session: Session,
    runtime: Runtime,
    slug: str,
    *,
    email: str = EDUCATOR,
    score: int = 92,
    issuer: str = ISSUER,
    **fields: Any,
) -> AwardOutcome:
    """:func:`award_to`'s whole outcome (what its post-award work issued, too)."""
    request = AwardCreate.model_validate(
        {
            "achievement": slug,
            "recipient_name": "María López" if email == EDUCATOR else "José García",
            "recipient_email": email,
            "score": score,
            "rubric_level": "proficient",
            **fields,
        }
    )
    return award(session=session, runtime=runtime, issuer=issuer, request=request)


def stack_awards(session: Session, slug: str, email: str = EDUCATOR) -> list[Award]:
    session.commit()  # a fresh snapshot: other sessions (the app's) may have issued since
    return list(
        session.exec(
            select(Award)
            .where(Award.achievement_slug == slug)
            .where(Award.recipient_email == email)
            .order_by(col(Award.created))
        ).all()
    )


def credentials_of(session: Session, email: str = EDUCATOR) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Award).where(Award.recipient_email == email).order_by(col(Award.created))
    ).all()
    return [json.loads(r.credential) for r in rows]


def masters_degree(
    email: str = EDUCATOR,
    *,
    key: SigningKey = UNIVERSITY_KEY,
    achievement_type: str = "MasterDegree",
    valid_from: str = "2024-05-15T00:00:00Z",
    valid_until: str | None = None,
    credential_id: str = "urn:uuid:5a0c1f7e-6a53-4a44-b7c9-2f0b6f4c1d10",
) -> dict[str, Any]:
    """A Master of Arts in Education from a university that is not on this service."""
    did = university_did(key)
    credential = sample_masters_degree(
        issuer_id=did,
        email=email,
        credential_id=credential_id,
        valid_from=valid_from,
        achievement_type=achievement_type,
    )
    if valid_until:
        credential["validUntil"] = valid_until
    return add_proof(
        credential,
        suite="eddsa-rdfc-2022",
        key=key,
        options=ProofOptions(
            verification_method=f"{did}#{did.removeprefix('did:key:')}",
            created=valid_from,
        ),
        loader=bundled_loader(),
    )


def trust_list(path: Any, *dids: str, name: str = "NM PED: accepted universities") -> Any:
    """A trust list file naming ``dids`` (see verifier/TRUST_LISTS.md)."""
    path.write_text(json.dumps({"name": name, "issuers": [{"id": d} for d in dids]}))
    return path


def app_fetcher(client: TestClient, overrides: Mapping[str, Any] | None = None) -> GuardedFetcher:
    """A fetcher whose network is the app; ``overrides`` replace documents by URL (a dict is
    served as JSON, bytes as they are, ``None`` as a 404)."""
    overrides = dict(overrides or {})

    def serve(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url in overrides:
            body = overrides[url]
            if body is None:
                return httpx.Response(404, text="not found")
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            return httpx.Response(
                200, headers={"content-type": "application/json"}, content=content
            )
        response = client.get(request.url.path, headers={"accept": request.headers["accept"]})
        return httpx.Response(
            response.status_code,
            headers={"content-type": response.headers.get("content-type", "text/plain")},
            content=response.content,
        )

    return GuardedFetcher(
        transport=httpx.MockTransport(serve), resolver=lambda host, port: ["93.184.216.34"]
    )
