"""Helpers of the OB 3.0 API tests (``test_ob_api_*.py``): educators, clients and tokens made
with the services directly (the OAuth dance is the OAuth tests' business), and every request
and response held to the vendor's OB 3.0 OpenAPI document (``../shared/vendor-data``, read in
place: vendor files are never copied into the project).

Where the vendor document and the specification part ways the checks here say so:

* **304** of ``upsertCredential`` declares an ``Imsx_StatusInfo`` body, but RFC 9110 §15.4.5
  forbids content in a 304 (and HTTP clients drop it); our 304 has none, and is not checked.
* ``proof`` is an array only and ``credentialStatus`` one object only in the vendor document's
  ``AchievementCredential`` / ``EndorsementCredential``; VCDM 2.0 and 1EdTech's published JSON
  Schemas (``schemas/jsonschema/``) allow one proof object and a list of status entries, which
  is what this service signs (one proof; a revocation and a suspension entry). Both are
  relaxed to "one or a list" here (:func:`vendor_openapi`), nothing else.
* ``application/vc+ld+json`` is in the specification's text for ``upsertCredential`` but not in
  the vendor document's ``requestBody``; such a request body is checked against the
  ``application/json`` schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from sqlmodel import Session

from issuer.models.oauth import OAuthClient
from issuer.services.learners import learner_for_email
from issuer.services.oauth_tokens import issue_tokens, token_hash
from schemas.dates import utcnow

SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
READ = SCOPE + "credential.readonly"
UPSERT = SCOPE + "credential.upsert"
PROFILE_READ = SCOPE + "profile.readonly"
PROFILE_UPDATE = SCOPE + "profile.update"
ALL_SCOPES = (READ, UPSERT, PROFILE_READ, PROFILE_UPDATE)
API = "/ims/ob/v3p0"

OPENAPI_PATH = Path("docs/openapi/openapi.json")


@cache
def vendor_openapi(vendor: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (vendor / "openbadges-specification" / OPENAPI_PATH).read_text("utf-8")
    )
    schemas = document["components"]["schemas"]
    for name in ("AchievementCredential", "EndorsementCredential"):
        properties = schemas[name]["properties"]
        proof = properties["proof"]["items"]
        properties["proof"] = {"oneOf": [proof, {"type": "array", "items": proof}]}
        status = properties["credentialStatus"]
        properties["credentialStatus"] = {"oneOf": [status, {"type": "array", "items": status}]}
    return document


def schema_errors(vendor: Path, schema: dict[str, Any], instance: Any) -> list[str]:
    """Why ``instance`` fails ``schema`` (a schema of the vendor document, its ``$ref`` s
    resolved against the whole document)."""
    root = {**schema, "components": vendor_openapi(vendor)["components"]}
    validator = Draft202012Validator(root)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def _operation(vendor: Path, method: str, path: str) -> dict[str, Any]:
    relative = path.split("?", 1)[0].removeprefix(API)
    operation: dict[str, Any] = vendor_openapi(vendor)["paths"][relative][method.lower()]
    return operation


def check_request(vendor: Path, method: str, path: str, media_type: str, body: Any) -> None:
    """``body`` is what the vendor document allows for this operation's request."""
    content = _operation(vendor, method, path)["requestBody"]["content"]
    declared = content.get(media_type) or content["application/json"]  # see module docstring
    errors = schema_errors(vendor, declared["schema"], body)
    assert not errors, f"request of {method} {path} fails the vendor schema: {errors}"


def check_response(vendor: Path, method: str, path: str, response: httpx.Response) -> None:
    """``response`` is one the vendor document declares for this operation, and its body
    conforms to the schema declared for its status and media type."""
    responses = _operation(vendor, method, path)["responses"]
    declared = responses.get(str(response.status_code)) or responses["default"]
    if response.status_code == 304:  # no content allowed (module docstring)
        assert response.content == b""
        return
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    content = declared.get("content", {})
    assert media_type in content, (response.status_code, media_type, list(content))
    body = response.text if media_type == "text/plain" else response.json()
    errors = schema_errors(vendor, content[media_type]["schema"], body)
    assert not errors, f"{method} {path} {response.status_code} fails the vendor schema: {errors}"


def check_imsx(vendor: Path, response: httpx.Response, status: int, minor: str) -> str:
    """``response`` is an ``Imsx_StatusInfo`` refusal with ``status`` and code minor ``minor``;
    its description."""
    assert response.status_code == status, response.text
    body = response.json()
    assert not schema_errors(vendor, {"$ref": "#/components/schemas/Imsx_StatusInfo"}, body)
    assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error"
    [field] = body["imsx_codeMinor"]["imsx_codeMinorField"]
    assert field == {
        "imsx_codeMinorFieldName": "TargetEndSystem",
        "imsx_codeMinorFieldValue": minor,
    }
    description: str = body["imsx_description"]
    assert description
    return description


@dataclass(frozen=True)
class Holder:
    """An educator and a client app with tokens on their account."""

    learner_id: int
    client_id: str


def make_client(session: Session, client_id: str = "backpack") -> str:
    session.rollback()  # a read transaction left open would make SQLite refuse the write
    session.add(
        OAuthClient(
            client_id=client_id,
            secret_hash=token_hash("not-used-here"),
            client_name="Backpack",
            client_uri="https://backpack.example",
            logo_uri="https://backpack.example/logo.png",
            tos_uri="https://backpack.example/tos",
            policy_uri="https://backpack.example/privacy",
            software_id="backpack",
            software_version="1.0",
            redirect_uris=["https://backpack.example/cb"],
            scope=" ".join(ALL_SCOPES),
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="client_secret_basic",
            created=utcnow(),
        )
    )
    session.commit()
    return client_id


def make_holder(session: Session, email: str, client_id: str = "backpack") -> Holder:
    session.rollback()  # a read transaction left open would make SQLite refuse the write
    if session.get(OAuthClient, client_id) is None:
        make_client(session, client_id)
    learner = learner_for_email(session, email=email, now=utcnow())
    assert learner.id is not None
    learner_id = learner.id
    session.commit()
    return Holder(learner_id, client_id)


def token(session: Session, holder: Holder, *scopes: str, issued: datetime | None = None) -> str:
    """An access token of ``holder``'s client for ``scopes`` (all four by default)."""
    session.rollback()  # a read transaction left open would make SQLite refuse the write
    pair = issue_tokens(
        session,
        client_id=holder.client_id,
        learner_id=holder.learner_id,
        scope=" ".join(scopes or ALL_SCOPES),
        now=issued or utcnow(),
    )
    session.commit()
    return pair.access_token


def expired_token(session: Session, holder: Holder, *scopes: str) -> str:
    return token(session, holder, *scopes, issued=utcnow() - timedelta(hours=2))


def bearer(access_token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}", **headers}
