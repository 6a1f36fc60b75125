"""The OB 3.0 API's credentials on both databases: getCredentials (whose, paging, ``since``,
``Link``/``X-Total-Count``, every one verifies) and upsertCredential (verified first, the
equality rule's 201/200/304, byte-for-byte round trips, JSON, JWS and baked PNG/SVG), every
request and response held to the vendor OpenAPI document (tests/issuer/ob_api_support.py)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from issuer.models import Award, Issuer
from issuer.models.issuers import KeyPurpose
from issuer.runtime import Runtime
from issuer.services.sharing import baked_badge
from issuer.services.signing import sign_credential, signer_for
from schemas.baking import bake_png, bake_svg, unbake
from schemas.dates import as_utc, format_datetime, parse_datetime, utcnow
from tests.issuer.ob_api_support import (
    API,
    READ,
    UPSERT,
    Holder,
    bearer,
    check_imsx,
    check_request,
    check_response,
    make_holder,
    token,
)
from tests.issuer.support import BASE_URL, ISSUER, award_http

EMAIL = "ana.garcia@schools.nm.example"
OTHER = "ben.ortiz@schools.nm.example"


def _award(client: TestClient, auth: dict[str, str], email: str = EMAIL) -> dict[str, Any]:
    """A new award (a fresh idempotency key: the same request twice is one award)."""
    key = uuid.uuid4().hex
    return award_http(client, auth, recipient_email=email, idempotency_key=key)["credential"]


def _row(session: Session, credential: dict[str, Any]) -> Award:
    session.rollback()  # a new snapshot: the award was written by another connection
    award_id = uuid.UUID(credential["id"].rsplit("/", 1)[-1])
    row = session.get(Award, award_id)
    assert row is not None
    return row


def _get(client: TestClient, vendor: Path, access: str, query: str = "") -> Any:
    response = client.get(f"{API}/credentials{query}", headers=bearer(access))
    check_response(vendor, "GET", f"{API}/credentials", response)
    return response


def _upsert(client: TestClient, vendor: Path, access: str, body: str, media_type: str) -> Any:
    if media_type == "text/plain":
        check_request(vendor, "POST", f"{API}/credentials", media_type, body)
    else:
        check_request(vendor, "POST", f"{API}/credentials", media_type, json.loads(body))
    response = client.post(
        f"{API}/credentials",
        content=body.encode("utf-8"),
        headers=bearer(access, **{"Content-Type": media_type}),
    )
    check_response(vendor, "POST", f"{API}/credentials", response)
    return response


def _links(response: Any) -> dict[str, str]:
    header = response.headers.get("link")
    if header is None:
        return {}
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="([a-z]+)"', header)}


def _offset(url: str) -> int:
    query = parse_qs(urlsplit(url).query)
    return int(query["offset"][0])


# ------------------------------------------------------------------------------ reading


def test_an_educator_reads_their_awards_only_and_each_verifies(
    client: TestClient, auth, issuer: Issuer, session: Session, vendor: Path, runtime: Runtime
) -> None:
    mine = [_award(client, auth) for _ in range(2)]
    _award(client, auth, OTHER)
    revoked = _award(client, auth)
    revoke = client.post(
        f"/api/issuers/{ISSUER}/credentials/{revoked['id'].rsplit('/', 1)[-1]}/revoke",
        json={"reason": "awarded in error"},
        headers=auth,
    )
    assert revoke.status_code == 200, revoke.text
    holder = make_holder(session, "  Ana.Garcia@Schools.NM.example ")
    response = _get(client, vendor, token(session, holder, READ))
    assert response.status_code == 200
    body = response.json()
    assert response.headers["x-total-count"] == "2" and "link" not in response.headers
    assert sorted(c["id"] for c in body["credential"]) == sorted(c["id"] for c in mine)
    assert body["compactJwsString"] == []
    # Served exactly as stored (the award's bytes are in the body as they are).
    for credential in mine:
        assert _row(session, credential).credential in response.text
    # Every credential served verifies.
    verifier = client.app.state.verifier  # type: ignore[attr-defined]
    for credential in body["credential"]:
        assert str(verifier.verify(credential).verdict) == "valid"
    # The other educator sees only theirs.
    other = make_holder(session, OTHER)
    theirs = _get(client, vendor, token(session, other, READ)).json()["credential"]
    assert len(theirs) == 1 and theirs[0]["id"] not in {c["id"] for c in mine}


def test_pages_links_and_since(
    client: TestClient, auth, issuer: Issuer, session: Session, vendor: Path
) -> None:
    ids = [_award(client, auth)["id"] for _ in range(5)]
    holder = make_holder(session, EMAIL)
    access = token(session, holder, READ)
    whole = [c["id"] for c in _get(client, vendor, access).json()["credential"]]
    assert sorted(whole) == sorted(ids)
    seen: list[str] = []
    response = _get(client, vendor, access, "?limit=2")
    pages = 0
    while True:
        pages += 1
        assert response.status_code == 200
        assert response.headers["x-total-count"] == "5"
        links = _links(response)
        assert set(links) >= {"first", "last"}
        for url in links.values():
            assert url.startswith(f"{BASE_URL}{API}/credentials?")
            assert parse_qs(urlsplit(url).query)["limit"] == ["2"]
        assert _offset(links["first"]) == 0 and _offset(links["last"]) == 4
        seen += [c["id"] for c in response.json()["credential"]]
        if "next" not in links:
            break
        response = _get(
            client, vendor, access, links["next"].removeprefix(BASE_URL + API + "/credentials")
        )
    assert pages == 3 and seen == whole  # a stable order, nothing twice
    middle = _get(client, vendor, access, "?limit=2&offset=2")
    links = _links(middle)
    assert (_offset(links["prev"]), _offset(links["next"])) == (0, 4)
    assert [c["id"] for c in middle.json()["credential"]] == whole[2:4]
    past_the_end = _get(client, vendor, access, "?offset=9")
    assert past_the_end.json()["credential"] == []
    assert past_the_end.headers["x-total-count"] == "5"

    # since: only what arrived after it; the Link URLs keep it.
    arrived = sorted(as_utc(_row(session, {"id": i}).created) for i in ids)
    since = format_datetime(arrived[2])
    later = [moment for moment in arrived if moment > arrived[2]]
    response = _get(client, vendor, access, f"?since={since}&limit=1")
    assert response.headers["x-total-count"] == str(len(later))
    if len(later) > 1:
        assert parse_qs(urlsplit(_links(response)["next"]).query)["since"] == [since]
    future = format_datetime(utcnow() + timedelta(days=1))
    assert _get(client, vendor, access, f"?since={future}").json()["credential"] == []


@pytest.mark.parametrize(
    "query",
    [
        "?limit=0",
        "?limit=ten",
        "?offset=-1",
        "?offset=1.5",
        "?since=yesterday",
        "?since=2026-13-01T00:00:00Z",
        "?since=2026-01-01",
    ],
)
def test_bad_paging_parameters_are_refused_400(
    client: TestClient, session: Session, vendor: Path, query: str
) -> None:
    holder = make_holder(session, EMAIL)
    response = _get(client, vendor, token(session, holder, READ), query)
    name = query[1:].split("=")[0]
    assert name in check_imsx(vendor, response, 400, "invalid_query_parameter")


# ------------------------------------------------------------------------------ upserting


def _resigned(
    session: Session,
    runtime: Runtime,
    issuer: Issuer,
    credential: dict[str, Any],
    **changes: Any,
) -> tuple[str, str]:
    """``credential`` changed and signed again by its issuer: (JSON text, VC-JWT)."""
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned.update(changes)
    formats = (KeyPurpose.ldp, KeyPurpose.jwt)
    signed = sign_credential(
        unsigned,
        signer=signer_for(session, runtime, issuer, formats=formats),
        formats=formats,
        loader=runtime.loader,
        now=utcnow(),
    )
    assert signed.jwt is not None
    return json.dumps(signed.credential, indent=2, ensure_ascii=False), signed.jwt


def _shifted(credential: dict[str, Any], days: int) -> str:
    """``credential``'s validFrom moved by ``days`` (earlier ones: a later one is not valid
    yet, and the verifier refuses it)."""
    moment = parse_datetime(credential["validFrom"])
    assert moment is not None
    return format_datetime(moment + timedelta(days=days))


def _backpack(session: Session) -> Holder:
    """An educator whose Host receives others' credentials (a backpack holds any valid one)."""
    return make_holder(session, "backpack.owner@schools.nm.example")


@pytest.mark.parametrize("media_type", ["application/json", "application/vc+ld+json"])
def test_upsert_json_created_replaced_not_modified_round_trips(
    client: TestClient,
    auth,
    issuer: Issuer,
    session: Session,
    runtime: Runtime,
    vendor: Path,
    media_type: str,
) -> None:
    credential = _award(client, auth)
    holder = _backpack(session)
    access = token(session, holder, READ, UPSERT)
    first, _ = _resigned(session, runtime, issuer, credential, validFrom=_shifted(credential, -3))
    created = _upsert(client, vendor, access, first, media_type)
    assert created.status_code == 201, created.text
    assert created.text == first  # the stored credential, as sent
    listed = _get(client, vendor, access)
    assert first in listed.text  # byte for byte
    assert listed.json()["credential"] == [json.loads(first)]

    newer, _ = _resigned(session, runtime, issuer, credential, validFrom=_shifted(credential, -1))
    replaced = _upsert(client, vendor, access, newer, media_type)
    assert replaced.status_code == 200 and replaced.text == newer
    listed = _get(client, vendor, access)
    assert newer in listed.text and first not in listed.text
    assert listed.headers["x-total-count"] == "1"

    # The same id percent-encoded is the same credential (trimming: the identity test below).
    older, _ = _resigned(
        session,
        runtime,
        issuer,
        credential,
        id=credential["id"].replace("/credentials/", "/credentials%2F"),
        validFrom=_shifted(credential, -2),
    )
    for not_newer in (older, newer):
        unchanged = _upsert(client, vendor, access, not_newer, media_type)
        assert unchanged.status_code == 304 and unchanged.content == b""
    assert newer in _get(client, vendor, access).text


def test_upsert_identity_ignores_percent_encoding_and_whitespace(
    client: TestClient, auth, issuer: Issuer, session: Session, runtime: Runtime, vendor: Path
) -> None:
    from issuer.services.ob_host import credential_identity

    credential = _award(client, auth)
    plain = credential_identity(credential)
    spelled = credential_identity(
        {
            **credential,
            "id": "  " + credential["id"].replace(":", "%3A") + "\t",
            "issuer": {
                **credential["issuer"],
                "id": credential["issuer"]["id"].replace(":", "%3a"),
            },
        }
    )
    assert spelled.digest == plain.digest
    other = credential_identity({**credential, "id": credential["id"] + "x"})
    assert other.digest != plain.digest


def test_upsert_jws_text_plain_round_trips(
    client: TestClient, auth, issuer: Issuer, session: Session, runtime: Runtime, vendor: Path
) -> None:
    credential = _award(client, auth)
    holder = _backpack(session)
    access = token(session, holder, READ, UPSERT)
    _, older = _resigned(session, runtime, issuer, credential, validFrom=_shifted(credential, -2))
    created = _upsert(client, vendor, access, older + "\n", "text/plain")
    assert created.status_code == 201 and created.text == older
    assert created.headers["content-type"].startswith("text/plain")
    listed = _get(client, vendor, access).json()
    assert listed == {"credential": [], "compactJwsString": [older]}
    assert _upsert(client, vendor, access, older, "text/plain").status_code == 304
    newer = _row(session, credential).credential_jwt  # the award's own: issued later
    replaced = _upsert(client, vendor, access, newer, "text/plain")
    assert replaced.status_code == 200 and replaced.text == newer
    assert _get(client, vendor, access).json()["compactJwsString"] == [newer]
    assert _upsert(client, vendor, access, older, "text/plain").status_code == 304
    verifier = client.app.state.verifier  # type: ignore[attr-defined]
    assert str(verifier.verify(newer).verdict) == "valid"


@pytest.mark.parametrize(
    ("kind", "payload"), [("png", "json"), ("svg", "json"), ("png", "jwt"), ("svg", "jwt")]
)
def test_baked_badge_import_and_export_lose_nothing(
    client: TestClient,
    auth,
    issuer: Issuer,
    session: Session,
    vendor: Path,
    kind: str,
    payload: str,
) -> None:
    credential = _award(client, auth)
    image = baked_badge(_row(session, credential), kind, payload)  # type: ignore[arg-type]
    unbaked = unbake(image)
    assert unbaked is not None and unbaked[0] == kind
    text = unbaked[1]
    holder = _backpack(session)
    access = token(session, holder, READ, UPSERT)
    media = "text/plain" if payload == "jwt" else "application/json"
    created = _upsert(client, vendor, access, text, media)
    assert created.status_code == 201 and created.text == text.strip()
    body = _get(client, vendor, access).json()
    served = (
        body["compactJwsString"][0]
        if payload == "jwt"
        else json.dumps(body["credential"][0], ensure_ascii=False, separators=(",", ":"))
    )
    assert served == text  # the award's compact JSON, or its JWS: identical
    # Export: baked again into the image and read back, still the same text.
    rebaked = bake_png(image, served) if kind == "png" else bake_svg(image, served).encode()
    assert unbake(rebaked) == (kind, text)


def test_upsert_refuses_what_does_not_verify_with_the_reason(
    client: TestClient, auth, issuer: Issuer, session: Session, runtime: Runtime, vendor: Path
) -> None:
    holder = _backpack(session)
    access = token(session, holder, READ, UPSERT)
    credential = _award(client, auth)
    tampered = json.dumps({**credential, "name": credential.get("name", "") + " (edited)"})
    described = check_imsx(
        vendor, _upsert(client, vendor, access, tampered, "application/json"), 400, "invalid_data"
    )
    assert "did not verify" in described and "proof" in described.lower()

    jwt = _row(session, credential).credential_jwt
    head, claims, signature = jwt.split(".")
    forged = f"{head}.{claims}.{signature[::-1]}"
    check_imsx(vendor, _upsert(client, vendor, access, forged, "text/plain"), 400, "invalid_data")

    expired_json, _ = _resigned(
        session,
        runtime,
        issuer,
        credential,
        validUntil=format_datetime(utcnow() - timedelta(days=1)),
    )
    described = check_imsx(
        vendor,
        _upsert(client, vendor, access, expired_json, "application/json"),
        400,
        "invalid_data",
    )
    assert "expire" in described.lower()

    revoked = _award(client, auth)
    client.post(
        f"/api/issuers/{ISSUER}/credentials/{revoked['id'].rsplit('/', 1)[-1]}/revoke",
        json={"reason": "awarded in error"},
        headers=auth,
    ).raise_for_status()
    described = check_imsx(
        vendor,
        _upsert(client, vendor, access, json.dumps(revoked), "application/json"),
        400,
        "invalid_data",
    )
    assert "revoked" in described.lower()
    # Nothing of it was stored.
    assert _get(client, vendor, access).json() == {"credential": [], "compactJwsString": []}


@pytest.mark.parametrize(
    ("body", "media_type", "status", "named"),
    [
        ("{not json", "application/json", 400, "JSON"),
        ("[1, 2]", "application/json", 400, "object"),
        ('{"type": ["VerifiableCredential"]}', "application/json", 400, "credential"),
        ("hello there", "text/plain", 400, "JWS"),
        ("a,b", "text/csv", 415, "text/csv"),
        ("<x/>", "application/xml", 415, "application/xml"),
    ],
)
def test_upsert_bad_bodies(
    client: TestClient,
    session: Session,
    vendor: Path,
    body: str,
    media_type: str,
    status: int,
    named: str,
) -> None:
    holder = _backpack(session)
    access = token(session, holder, UPSERT)
    response = client.post(
        f"{API}/credentials",
        content=body.encode(),
        headers=bearer(access, **{"Content-Type": media_type}),
    )
    check_response(vendor, "POST", f"{API}/credentials", response)
    assert named in check_imsx(vendor, response, status, "invalid_data")


def test_upsert_huge_body_is_413_imsx(client: TestClient, session: Session, vendor: Path) -> None:
    holder = _backpack(session)
    access = token(session, holder, UPSERT)
    huge = b'{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post(
        f"{API}/credentials",
        content=huge,
        headers=bearer(access, **{"Content-Type": "application/json"}),
    )
    assert "larger" in check_imsx(vendor, response, 413, "invalid_data")


def test_upserted_credentials_stay_with_their_educator(
    client: TestClient, auth, issuer: Issuer, session: Session, vendor: Path
) -> None:
    credential = _award(client, auth)
    text = _row(session, credential).credential
    owner = _backpack(session)
    stranger = make_holder(session, "someone.else@schools.nm.example")
    created = _upsert(client, vendor, token(session, owner, UPSERT), text, "application/json")
    assert created.status_code == 201
    theirs = _get(client, vendor, token(session, stranger, READ)).json()
    assert theirs == {"credential": [], "compactJwsString": []}
    # The stranger's own upsert of the same credential is theirs: created, not "not modified".
    again = _upsert(client, vendor, token(session, stranger, UPSERT), text, "application/json")
    assert again.status_code == 201
    assert len(session.exec(select(Award)).all()) == 1


def test_the_educators_page_lists_what_their_apps_added(
    client: TestClient, auth, issuer: Issuer, session: Session, vendor: Path
) -> None:
    from issuer.api.learner_auth import LEARNER_COOKIE
    from issuer.models.learners import Learner
    from issuer.services.learners import open_session

    holder = _backpack(session)
    learner = session.get(Learner, holder.learner_id)
    assert learner is not None
    cookie = open_session(session, learner=learner, now=utcnow())
    session.commit()
    client.cookies.set(LEARNER_COOKIE, cookie)
    assert "Credentials added by your apps" not in client.get("/me").text
    credential = _award(client, auth)
    text = _row(session, credential).credential
    assert (
        _upsert(
            client, vendor, token(session, holder, UPSERT), text, "application/json"
        ).status_code
        == 201
    )
    page = client.get("/me")
    assert page.status_code == 200
    assert "Credentials added by your apps" in page.text
    assert credential["issuer"]["name"] in page.text
