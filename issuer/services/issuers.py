"""Issuers, their keys, and the documents that publish those keys (DID document, JWKS).

Each issuer has two current keys: Ed25519 for Data Integrity proofs and P-256 (or RSA) for
VC-JWT. Rotation makes new current keys and *retires* the old ones: a retired key signs nothing
more but stays listed in the DID document and JWKS, so every credential it signed keeps
verifying. (Deleting a key from the DID document is how one would disown everything it signed;
that is a revocation decision, not a rotation.)

did:key issuers are the exception the method forces: a did:key *is* one Ed25519 key, so the
issuer signs its VC-JWTs with that same key (EdDSA), and a rotation gives the issuer a new DID.
Credentials issued under the old did:key still verify (did:key resolves from the DID itself), but
verifiers that pinned the old DID must learn the new one. did:web has neither limitation, which
is why it is the default on an https base URL.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from issuer.crypto_at_rest import SealedDataError
from issuer.db import begin_write
from issuer.models import (
    DidMethod,
    Issuer,
    IssuerCreate,
    IssuerKey,
    IssuerProfileIn,
    IssuerPublic,
    KeyPublic,
    KeyPurpose,
    public_view,
)
from issuer.services.context import Runtime
from issuer.services.errors import Conflict, InvalidInput, IssuanceFailed, NotFound, not_found
from keys.did import did_document, did_key
from keys.keypairs import KeyType, SigningKey, VerificationKey
from keys.multikey import encode_public_multikey
from schemas.dates import as_utc
from schemas.models import (
    IDENTITY_TYPES,
    IdentifierEntry,
    Image,
    Profile,
    is_vocabulary_value,
)

__all__ = [
    "create_issuer",
    "current_key",
    "did_document_for",
    "get_issuer",
    "issuer_keys",
    "issuer_public",
    "jwks_for",
    "list_issuers",
    "profile_for",
    "rotate_keys",
    "signing_key",
    "update_issuer",
]

log = logging.getLogger("microcred.issuer.keys")

_KEY_TYPES = {"P-256": KeyType.P256, "RSA": KeyType.RSA}


# ------------------------------------------------------------------------------ keys


def _associated_data(key_id: uuid.UUID) -> str:
    return f"microcred:issuer_key:{key_id}"


def _method_fragment(public: VerificationKey) -> str:
    """The same fragment :func:`keys.did.did_document` derives: the multikey, or for RSA (which
    has no multikey form) the JWK thumbprint. Derived from the key, it never collides."""
    if public.key_type is KeyType.RSA:
        return public.thumbprint()
    return encode_public_multikey(public)


def _new_key(
    runtime: Runtime, issuer: Issuer, purpose: KeyPurpose, key_type: KeyType
) -> tuple[IssuerKey, SigningKey]:
    key = SigningKey.generate(key_type)
    public = key.public_key
    if issuer.did_method == DidMethod.key:
        controller = did_key(public)
        method = f"{controller}#{controller.removeprefix('did:key:')}"
    else:
        controller = issuer.did
        method = f"{controller}#{_method_fragment(public)}"
    row = IssuerKey(
        issuer_id=issuer.id or 0,
        purpose=purpose,
        key_type=key_type.value,
        public_jwk=public.jwk(),
        sealed_private_jwk="",
        kek_id=runtime.kek.key_id,
        verification_method=method,
        controller=controller,
    )
    private = json.dumps(key.private_jwk()).encode("utf-8")
    row.sealed_private_jwk = runtime.kek.seal(private, associated_data=_associated_data(row.id))
    return row, key


def signing_key(runtime: Runtime, row: IssuerKey) -> SigningKey:
    """Open a key row's sealed private JWK. Raises :class:`IssuanceFailed` if it will not open."""
    try:
        plaintext = runtime.kek.open(
            row.sealed_private_jwk, associated_data=_associated_data(row.id)
        )
    except SealedDataError as error:
        raise IssuanceFailed(
            f"the signing key {row.verification_method} cannot be opened: {error}"
        ) from None
    return SigningKey.from_jwk(json.loads(plaintext))


def issuer_keys(session: Session, issuer: Issuer) -> list[IssuerKey]:
    """Every key of the issuer: current ones first (Data Integrity, then JWT), then retired
    ones, newest first."""
    rows = session.exec(select(IssuerKey).where(IssuerKey.issuer_id == issuer.id)).all()

    def order(row: IssuerKey) -> tuple[int, int, float]:
        retired = row.retired is not None
        return (
            int(retired),
            0 if row.purpose == KeyPurpose.ldp else 1,
            -as_utc(row.created).timestamp(),
        )

    return sorted(rows, key=order)


def current_key(session: Session, issuer: Issuer, purpose: KeyPurpose) -> IssuerKey:
    """The key that signs ``purpose`` now. A did:key issuer signs JWTs with its one key."""
    if issuer.did_method == DidMethod.key:
        purpose = KeyPurpose.ldp
    row = session.exec(
        select(IssuerKey)
        .where(IssuerKey.issuer_id == issuer.id)
        .where(IssuerKey.purpose == purpose)
        .where(col(IssuerKey.retired).is_(None))
        .order_by(col(IssuerKey.created).desc())
    ).first()
    if row is None:
        raise IssuanceFailed(f"issuer {issuer.slug} has no current {purpose} key")
    return row


def _make_keys(
    session: Session, runtime: Runtime, issuer: Issuer, jwt_key_type: KeyType
) -> list[IssuerKey]:
    ldp_row, ldp_key = _new_key(runtime, issuer, KeyPurpose.ldp, KeyType.ED25519)
    rows = [ldp_row]
    if issuer.did_method == DidMethod.key:
        issuer.did = did_key(ldp_key.public_key)
        session.add(issuer)
    else:
        jwt_row, _ = _new_key(runtime, issuer, KeyPurpose.jwt, jwt_key_type)
        rows.append(jwt_row)
    for row in rows:
        session.add(row)
    return rows


def rotate_keys(*, session: Session, runtime: Runtime, slug: str) -> list[IssuerKey]:
    """Retire the issuer's current keys and make new ones; returns the new keys.

    The JWT key keeps its type (P-256 stays P-256, RSA stays RSA).
    """
    begin_write(session)
    issuer = get_issuer(session, slug)
    now = runtime.clock()
    jwt_type = KeyType.P256
    for row in session.exec(
        select(IssuerKey)
        .where(IssuerKey.issuer_id == issuer.id)
        .where(col(IssuerKey.retired).is_(None))
    ).all():
        if row.purpose == KeyPurpose.jwt:
            jwt_type = KeyType(row.key_type)
        row.retired = now
        session.add(row)
    rows = _make_keys(session, runtime, issuer, jwt_type)
    session.commit()
    for row in rows:
        session.refresh(row)
    log.info(
        "rotated the keys of issuer %s: now signing with %s",
        issuer.slug,
        ", ".join(r.verification_method for r in rows),
    )
    return rows


# ------------------------------------------------------------------------------ issuers


def get_issuer(session: Session, slug: str) -> Issuer:
    issuer = session.exec(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None:
        raise not_found("issuer", slug, session.exec(select(Issuer.slug)).all())
    return issuer


def list_issuers(session: Session) -> Sequence[Issuer]:
    return session.exec(select(Issuer).order_by(col(Issuer.id))).all()


def _check_identifiers(data: IssuerProfileIn) -> None:
    for index, entry in enumerate(data.other_identifiers):
        if not is_vocabulary_value(entry.identifierType, IDENTITY_TYPES):
            raise InvalidInput(
                ("other_identifiers", index, "identifierType"),
                f"{entry.identifierType!r} is not an OB identityType (e.g. identifier, "
                "systemId, sourcedId) or an 'ext:' value",
            )


#: The profile fields stored as given (the parent is stored by id, identifiers as plain dicts).
_STORED_AS_GIVEN = frozenset(IssuerProfileIn.model_fields) - {"parent", "other_identifiers"}


def _apply_profile(session: Session, issuer: Issuer, data: IssuerProfileIn) -> None:
    _check_identifiers(data)
    parent_id = None
    if data.parent is not None:
        parent = session.exec(select(Issuer).where(Issuer.slug == data.parent)).first()
        if parent is None:
            raise InvalidInput(("parent",), f"no issuer {data.parent!r} to be the parent")
        if parent.id is not None and parent.id == issuer.id:
            raise InvalidInput(("parent",), "an issuer cannot be its own parent")
        parent_id = parent.id
    issuer.sqlmodel_update(
        data.model_dump(include=set(_STORED_AS_GIVEN)),
        update={
            "parent_id": parent_id,
            "other_identifiers": [e.model_dump() for e in data.other_identifiers],
        },
    )


def create_issuer(*, session: Session, runtime: Runtime, data: IssuerCreate) -> Issuer:
    """A new issuer with its DID and fresh keys (sealed with the KEK)."""
    begin_write(session)
    method = data.did_method or DidMethod(runtime.urls.default_did_method)
    if method == DidMethod.web and not runtime.urls.is_https:
        raise InvalidInput(
            ("did_method",),
            f"did:web is resolved over https only, and the base URL is {runtime.urls.base}; "
            "use did:key or set MICROCRED_BASE_URL to this service's https URL",
        )
    if session.exec(select(Issuer.id).where(Issuer.slug == data.slug)).first() is not None:
        raise Conflict(f"an issuer {data.slug!r} already exists")
    did = runtime.urls.did_web(data.slug) if method == DidMethod.web else "did:key:pending"
    issuer = Issuer(slug=data.slug, name=data.name, did_method=method, did=did)
    _apply_profile(session, issuer, data)
    session.add(issuer)
    try:
        session.flush()
        _make_keys(session, runtime, issuer, _KEY_TYPES[data.jwt_key_type])
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"an issuer {data.slug!r} already exists") from None
    session.refresh(issuer)
    log.info("created issuer %s (%s)", issuer.slug, issuer.did)
    return issuer


def update_issuer(*, session: Session, slug: str, data: IssuerProfileIn) -> Issuer:
    """Change the profile. Credentials already issued keep the profile they were signed with."""
    begin_write(session)
    issuer = get_issuer(session, slug)
    _apply_profile(session, issuer, data)
    session.add(issuer)
    session.commit()
    session.refresh(issuer)
    return issuer


# ------------------------------------------------------------------------------ documents


def profile_for(session: Session, runtime: Runtime, issuer: Issuer) -> dict[str, Any]:
    """The issuer's OB Profile, as embedded in credentials and served at its profile URL."""
    parent = session.get(Issuer, issuer.parent_id) if issuer.parent_id is not None else None
    profile = Profile(
        id=issuer.did,
        name=issuer.name,
        url=issuer.url or runtime.urls.issuer(issuer.slug),
        email=issuer.email,
        phone=issuer.phone,
        description=issuer.description,
        image=Image.model_validate({"id": issuer.image, "type": "Image"}) if issuer.image else None,
        otherIdentifier=[
            IdentifierEntry.model_validate({"type": "IdentifierEntry", **e})
            for e in issuer.other_identifiers
        ],
        parentOrg=(
            Profile(
                id=parent.did,
                name=parent.name,
                url=parent.url or runtime.urls.issuer(parent.slug),
            )
            if parent is not None
            else None
        ),
    )
    return profile.model_dump_ob()


def did_document_for(session: Session, issuer: Issuer) -> dict[str, Any]:
    """The did:web DID document: current keys first, retired keys after (still verifying)."""
    if issuer.did_method != DidMethod.web:
        raise NotFound(f"issuer {issuer.slug} uses did:key, which has no hosted DID document")
    rows = issuer_keys(session, issuer)
    publics = [VerificationKey.from_jwk(r.public_jwk) for r in rows]
    return did_document(issuer.did, publics, key_ids=[r.verification_method for r in rows])


def jwks_for(session: Session, issuer: Issuer) -> dict[str, Any]:
    """The issuer's public keys as a JWK Set; ``kid`` is each key's verification method id."""
    keys = []
    for row in issuer_keys(session, issuer):
        public = VerificationKey.from_jwk(row.public_jwk)
        keys.append(
            {
                **public.jwk(),
                "kid": row.verification_method,
                "alg": public.jose_algorithm,
                "use": "sig",
            }
        )
    return {"keys": keys}


def issuer_public(session: Session, runtime: Runtime, issuer: Issuer) -> IssuerPublic:
    """The admin view of an issuer: profile and public keys (never a private one)."""
    return public_view(
        IssuerPublic,
        issuer,
        profile_url=runtime.urls.issuer(issuer.slug),
        profile=profile_for(session, runtime, issuer),
        keys=[
            public_view(
                KeyPublic,
                row,
                id=row.verification_method,
                public_jwk=VerificationKey.from_jwk(row.public_jwk).jwk(),
                created=as_utc(row.created),
                retired=as_utc(row.retired),
            )
            for row in issuer_keys(session, issuer)
        ],
    )
