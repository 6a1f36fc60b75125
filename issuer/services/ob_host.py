"""The OB 3.0 API's Host: an educator's credentials as the API lists them, upserts, Profiles.

**Whose credentials.** An access token belongs to one educator ("learner"); the API serves
that educator's credentials only: (1) every *active* award of this service whose
``recipient_email`` is the educator's (an award that was revoked or suspended would not verify,
and the Service Provider (Read) test requires every credential served to verify), and (2) what
the educator's apps upserted (:class:`~issuer.models.ob_host.HostedCredential`).

**The list's order** is by the time a credential arrived here (an award's ``created``, an
upserted credential's ``updated``), then kind, then id: stable, and what arrives later goes to
the end, so a client paging with ``offset`` does not see an item twice while new ones come in.
``since`` keeps what arrived strictly after it (an award's ``awarded`` date may be earlier than
the day it was issued here; a client syncing "what is new since I last asked" wants arrival).

**The upsert rule** (the specification's "credential equality and comparison"): two
credentials are the same when their ``issuer`` ids and their ``id`` s are equal after
percent-decoding and trimming; of two same credentials the one with the later ``validFrom`` is
newer. An unknown credential is created; a newer one replaces the stored one; one that is not
newer (older, or as old: even with other bytes, neither is newer) changes nothing.

Services take ``now=`` and never import FastAPI; the routes are
:mod:`issuer.api.routes.ob_api`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import unquote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.choices import AwardStatus
from issuer.models.awards import Award
from issuer.models.ob_host import HostedCredential, HostedProfile
from issuer.services.errors import InvalidInput
from schemas.dates import as_utc, parse_datetime
from schemas.json_values import parse_json, type_names
from schemas.validation import validate_credential
from schemas.vocabulary import OB_PROFILE_SCHEMA_ID

__all__ = [
    "CredentialFormat",
    "CredentialIdentity",
    "CredentialPage",
    "PageItem",
    "UpsertOutcome",
    "UpsertResult",
    "credential_identity",
    "default_profile",
    "hosted_credentials",
    "list_credentials",
    "normalise_identifier",
    "profile_of",
    "put_profile",
    "upsert_credential",
]

#: The types an OB 3.0 credential carries (either is enough; OB 3.0 accepts both names).
OB_CREDENTIAL_TYPES = frozenset({"AchievementCredential", "OpenBadgeCredential"})


class CredentialFormat(StrEnum):
    """How a credential is secured, and so which array of the list it goes in."""

    ldp = "ldp"  # JSON with an embedded proof: ``credential[]``
    jwt = "jwt"  # a compact JWS (VC-JWT): ``compactJwsString[]``


# ------------------------------------------------------------------------------ equality


def normalise_identifier(value: str) -> str:
    """An issuer id or credential id as the equality rule compares it: percent-decoded and
    trimmed (trimmed before and after, so an encoded space at either end does not count)."""
    return unquote(value.strip()).strip()


@dataclass(frozen=True)
class CredentialIdentity:
    """What the equality rule compares, and the ``validFrom`` that decides which is newer."""

    issuer_key: str
    credential_key: str
    valid_from: datetime
    name: str | None
    issuer_name: str | None

    @property
    def digest(self) -> str:
        """SHA-256 of the pair, the stored row's unique key (ids may be long)."""
        pair = json.dumps([self.issuer_key, self.credential_key], ensure_ascii=False)
        return hashlib.sha256(pair.encode("utf-8")).hexdigest()


def credential_identity(document: Mapping[str, Any]) -> CredentialIdentity:
    """The identity of an OB 3.0 credential (its JSON, or what a VC-JWT's payload claims).

    Raises :class:`InvalidInput` naming what is missing: the rule cannot place a credential
    without an ``id`` or an ``issuer`` id, nor order it without ``validFrom`` (VC 1.1:
    ``issuanceDate``).
    """
    types = type_names(document)
    if not OB_CREDENTIAL_TYPES & set(types):
        raise InvalidInput(
            "type",
            "the credential is not an Open Badges 3.0 credential: its type has neither "
            "AchievementCredential nor OpenBadgeCredential",
        )
    credential_id = document.get("id")
    if not isinstance(credential_id, str) or not normalise_identifier(credential_id):
        raise InvalidInput(
            "id", "the credential has no id: a Host tells credentials apart by issuer and id"
        )
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not normalise_identifier(issuer_id):
        raise InvalidInput("issuer", "the credential's issuer has no id")
    raw_from = document.get("validFrom", document.get("issuanceDate"))
    valid_from = parse_datetime(raw_from)
    if valid_from is None:
        raise InvalidInput(
            "validFrom", "the credential has no readable validFrom (nor VC 1.1 issuanceDate)"
        )
    name = document.get("name")
    issuer_name = issuer.get("name") if isinstance(issuer, Mapping) else None
    return CredentialIdentity(
        issuer_key=normalise_identifier(issuer_id),
        credential_key=normalise_identifier(credential_id),
        valid_from=as_utc(valid_from),
        name=name if isinstance(name, str) else None,
        issuer_name=issuer_name if isinstance(issuer_name, str) else None,
    )


# ------------------------------------------------------------------------------ upsert


class UpsertResult(StrEnum):
    created = "created"  # 201
    replaced = "replaced"  # 200
    unchanged = "unchanged"  # 304: the stored one is as new or newer


@dataclass(frozen=True)
class UpsertOutcome:
    result: UpsertResult
    #: The stored credential, exactly as it was sent (the new one, or the one kept).
    body: str
    format: CredentialFormat


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _existing(session: Session, learner_id: int, identity: str) -> HostedCredential | None:
    return session.exec(
        select(HostedCredential).where(
            HostedCredential.learner_id == learner_id, HostedCredential.identity == identity
        )
    ).first()


def upsert_credential(
    session: Session,
    *,
    learner_id: int,
    client_id: str,
    body: str,
    credential_format: CredentialFormat,
    identity: CredentialIdentity,
    now: datetime,
) -> UpsertOutcome:
    """Create or replace the educator's copy of a verified credential by the equality rule
    (module docstring); ``body`` is kept exactly. Two concurrent upserts of one credential:
    the unique key lets one insert, the other then compares with what that one stored."""
    for _attempt in range(2):
        row = _existing(session, learner_id, identity.digest)
        if row is None:
            row = HostedCredential(
                learner_id=learner_id,
                client_id=client_id,
                format=credential_format,
                identity=identity.digest,
                issuer_key=identity.issuer_key,
                credential_key=identity.credential_key,
                name=identity.name,
                issuer_name=identity.issuer_name,
                valid_from=identity.valid_from,
                body=body,
                body_digest=_digest(body),
                created=now,
                updated=now,
            )
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return UpsertOutcome(UpsertResult.created, body, credential_format)
        if as_utc(identity.valid_from) <= as_utc(row.valid_from):
            kept = UpsertOutcome(UpsertResult.unchanged, row.body, CredentialFormat(row.format))
            session.rollback()
            return kept
        row.client_id = client_id
        row.format = credential_format
        row.name = identity.name
        row.issuer_name = identity.issuer_name
        row.valid_from = identity.valid_from
        row.body = body
        row.body_digest = _digest(body)
        row.updated = now
        session.add(row)
        session.commit()
        return UpsertOutcome(UpsertResult.replaced, body, credential_format)
    raise RuntimeError("the credential was inserted and then deleted during this upsert")


def hosted_credentials(session: Session, *, learner_id: int) -> list[HostedCredential]:
    """What the educator's apps upserted, newest first (the educator's page lists them)."""
    return list(
        session.exec(
            select(HostedCredential)
            .where(HostedCredential.learner_id == learner_id)
            .order_by(col(HostedCredential.updated).desc(), col(HostedCredential.id).desc())
        ).all()
    )


# ------------------------------------------------------------------------------ listing


@dataclass(frozen=True)
class PageItem:
    """One credential of a page: its format and its text exactly as stored."""

    format: CredentialFormat
    text: str


@dataclass(frozen=True)
class CredentialPage:
    items: Sequence[PageItem]
    #: How many credentials the query matches in all (``X-Total-Count``).
    total: int


_Key = tuple[datetime, Literal[0, 1], str]


def list_credentials(
    session: Session,
    *,
    learner_id: int,
    email: str,
    since: datetime | None,
    limit: int,
    offset: int,
) -> CredentialPage:
    """One page of the educator's credentials (order and ``since``: the module docstring).

    The keys of every match are read first (a few columns per credential), the texts of the
    page's only.
    """
    awards = select(Award.id, Award.created).where(
        Award.recipient_email == email.strip().lower(),
        Award.status == AwardStatus.active,
        Award.credential != "",
    )
    hosted = select(HostedCredential.id, HostedCredential.updated).where(
        HostedCredential.learner_id == learner_id
    )
    if since is not None:
        awards = awards.where(col(Award.created) > since)
        hosted = hosted.where(col(HostedCredential.updated) > since)
    keys: list[_Key] = [
        (as_utc(created), 0, str(award_id)) for award_id, created in session.exec(awards)
    ]
    keys += [(as_utc(updated), 1, str(row_id)) for row_id, updated in session.exec(hosted)]
    keys.sort()
    page = keys[offset : offset + limit]
    award_ids = [uuid.UUID(key) for _, kind, key in page if kind == 0]
    hosted_ids = [int(key) for _, kind, key in page if kind == 1]
    texts: dict[tuple[int, str], PageItem] = {}
    if award_ids:
        for award in session.exec(select(Award).where(col(Award.id).in_(award_ids))):
            texts[(0, str(award.id))] = PageItem(CredentialFormat.ldp, award.credential)
    if hosted_ids:
        for row in session.exec(
            select(HostedCredential).where(col(HostedCredential.id).in_(hosted_ids))
        ):
            texts[(1, str(row.id))] = PageItem(CredentialFormat(row.format), row.body)
    items = [texts[(kind, key)] for _, kind, key in page if (kind, key) in texts]
    return CredentialPage(items=items, total=len(keys))


# ------------------------------------------------------------------------------ profile


def default_profile(
    *, learner_id: int, email: str, name: str | None, base_url: str
) -> dict[str, Any]:
    """The Profile of an educator whose apps have not PUT one: what the account says. Its id
    is a stable URN of this service and this account (the educator has no public page)."""
    profile: dict[str, Any] = {
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{base_url}/learners/{learner_id}')}",
        "type": ["Profile"],
        "email": email,
    }
    if name:
        profile["name"] = name
    return profile


def profile_of(
    session: Session, *, learner_id: int, email: str, name: str | None, base_url: str
) -> dict[str, Any]:
    """The educator's Profile: the one last PUT, else :func:`default_profile`."""
    row = session.get(HostedProfile, learner_id)
    if row is not None:
        stored: dict[str, Any] = json.loads(row.body)
        return stored
    return default_profile(learner_id=learner_id, email=email, name=name, base_url=base_url)


def put_profile(
    session: Session, *, learner_id: int, document: Any, now: datetime
) -> dict[str, Any]:
    """Replace the educator's Profile with ``document`` once it conforms to OB 3.0's Profile
    schema (``id`` an IRI, ``type`` including ``Profile``…); :class:`InvalidInput` naming the
    first problem otherwise. Returns what is stored."""
    if not isinstance(document, dict):
        raise InvalidInput((), "the Profile must be a JSON object")
    issues = validate_credential(document, schema_id=OB_PROFILE_SCHEMA_ID)
    if issues:
        raise InvalidInput(issues[0].path, "; ".join(issue.message for issue in issues[:5]))
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    row = session.get(HostedProfile, learner_id)
    if row is None:
        row = HostedProfile(learner_id=learner_id, body=body, updated=now)
    else:
        row.body = body
        row.updated = now
    session.add(row)
    session.commit()
    stored: dict[str, Any] = parse_json(body)
    return stored
