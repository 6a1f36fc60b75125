"""Pydantic models of what microcred issues and reads: OB 3.0 credentials and their parts.

Two ways in, two ways out, on purpose:

* **Read** (``Model.model_validate(doc)`` / ``model_validate_json(text)``): the model remembers
  which members the document had and in which order. ``model_dump_ob()`` then gives back
  exactly those members, including a ``null`` or ``[]`` the document carried, and every
  unknown (extension) member untouched. A signed credential must survive parse → dump
  unchanged: ``allowedValue`` is an ``@list`` in the OB context, so even an empty array there
  is signed data.
* **Build** (``Model(...)`` in Python): ``model_dump_ob()`` follows OB's serialization rules
  — no ``null``, no empty arrays, ``@context`` first, dates as ``YYYY-MM-DDTHH:MM:SSZ``.

Models check what the OB JSON Schema checks about shape and required ``type`` values, but stay
lenient about vocabularies when reading (others' credentials use values like
``identityType: "email"``); ``schemas.validation`` reports those. Rules JSON Schema cannot
express (subject ``id``/``identifier``, criteria ``id``/``narrative``, ``Result.status``) live
in ``schemas.validation`` too, so the verifier can parse a flawed credential and report every
flaw instead of stopping at the first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from schemas.dates import format_datetime
from schemas.json_values import as_list, strings

# The identifiers and vocabularies live in schemas.vocabulary (importable without pydantic);
# every one of them is still importable from here.
from schemas.vocabulary import *  # noqa: F403
from schemas.vocabulary import (
    ACHIEVEMENT_TYPES,
    ALIGNMENT_TARGET_TYPES,
    CREDENTIAL_REFRESH_TYPE,
    EXTENSION_VALUE,
    HASH_ALGORITHMS,
    IDENTITY_TYPES,
    JSON_SCHEMA_VALIDATOR_TYPE,
    OB_CONTEXT,
    RESULT_STATUS,
    RESULT_TYPES,
    REVOCATION_LIST_TYPE,
    VC2_CONTEXT,
    VC11_CONTEXT,
)

_READING = "microcred.reading"


def _reading(info: ValidationInfo) -> bool:
    return bool(isinstance(info.context, Mapping) and info.context.get(_READING))


# --------------------------------------------------------------------------- value types


class ParsedDateTime(datetime):
    """A datetime read from a document, remembering its exact text.

    The text is written back unchanged: a proof covers the lexical form (``-08:00`` is not
    ``Z`` to a signature), so normalising on a round trip would break signatures.
    """

    text: str


def _read_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            # Built in Python: a missing zone is a bug, not something to guess.
            raise ValueError("a DateTimeZ needs a time zone, e.g. datetime.now(UTC)")
        return value
    if not isinstance(value, str):
        raise ValueError("a date-time must be an ISO 8601 string")
    try:
        parsed = ParsedDateTime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        # Read from a document: OB requires a zone and schema validation reports its absence;
        # the value is taken as UTC so that comparisons still work.
        parsed = parsed.replace(tzinfo=UTC)
    parsed.text = value
    return parsed


def format_datetime_z(value: datetime) -> str:
    """OB's DateTimeZ form: UTC with a ``Z``; fractional seconds only when there are some."""
    if isinstance(value, ParsedDateTime) and hasattr(value, "text"):
        return value.text
    return format_datetime(value, fraction=True)


def _read_date(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("a Date has no time part")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    raise ValueError("a Date must be written YYYY-MM-DD")


#: OB DateTimeZ; also used for OB DateTime members (activityStartDate, ...).
DateTimeZ = Annotated[
    datetime,
    PlainValidator(_read_datetime),
    PlainSerializer(format_datetime_z, return_type=str, when_used="json"),
]
Date = Annotated[date, PlainValidator(_read_date)]
#: JSON numbers keep int vs float: JSON-LD types 42 as xsd:integer and 42.0 as xsd:double.
Number = StrictInt | StrictFloat
#: ``type`` as a document gives it: one IRI or a list; written back the same way.
TypeValue = str | list[str]
DigitString = Annotated[str, StringConstraints(pattern=r"^[0-9]+$")]
ContextEntry = str | dict[str, Any]


def _contexts(*urls: str) -> list[ContextEntry]:
    """A fresh ``@context`` list (a model default; each model gets its own list)."""
    return list(urls)


# --------------------------------------------------------------------------- base


class OBModel(BaseModel):
    """Base of every model: extensions kept, JSON names, read-vs-built serialization."""

    model_config = ConfigDict(
        extra="allow",
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
    )

    #: Each inner tuple is a set of alternatives; ``type`` must include one of each.
    REQUIRED_TYPES: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Members written first and last by a built model, for readable output.
    _LEAD_KEYS: ClassVar[tuple[str, ...]] = ("@context", "id", "type")
    _TAIL_KEYS: ClassVar[tuple[str, ...]] = ("proof",)

    #: Member names of the document this model was read from, in order; None when built.
    _input_keys: tuple[str, ...] | None = PrivateAttr(default=None)

    # -- reading

    @classmethod
    def model_validate(cls, obj: Any, *, context: Any | None = None, **kwargs: Any) -> Self:
        """Read a document: the result dumps back to the same JSON (see module doc)."""
        return super().model_validate(obj, context=_read_context(context), **kwargs)

    @classmethod
    def model_validate_json(
        cls, json_data: str | bytes | bytearray, *, context: Any | None = None, **kwargs: Any
    ) -> Self:
        """Read a JSON text: the result dumps back to the same JSON (see module doc)."""
        return super().model_validate_json(json_data, context=_read_context(context), **kwargs)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_members(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        model = handler(data)
        if isinstance(model, OBModel) and isinstance(data, Mapping) and _reading(info):
            model._input_keys = tuple(str(key) for key in data)
        return model

    @model_validator(mode="after")
    def _check_required_types(self) -> Self:
        if self.REQUIRED_TYPES:
            present = set(strings(getattr(self, "type", [])))
            for alternatives in self.REQUIRED_TYPES:
                if present.isdisjoint(alternatives):
                    wanted = " or ".join(repr(a) for a in alternatives)
                    raise ValueError(f"type must include {wanted}")
        return self

    # -- writing

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        names: dict[str, str] = {}
        for name, info in type(self).model_fields.items():
            names[name] = name
            if info.alias:
                names[info.alias] = name
        read = self._input_keys
        kept: dict[str, Any] = {}
        for key, value in data.items():
            field_name = names.get(key)
            empty = value is None or (isinstance(value, list) and not value)
            if field_name is None:  # an extension member: only present because it was given
                kept[key] = value
            elif read is not None:
                if key in read or (field_name in self.model_fields_set and not empty):
                    kept[key] = value
            elif not empty:
                kept[key] = value
        if read is not None:
            order = {key: i for i, key in enumerate(read)}
            return dict(sorted(kept.items(), key=lambda kv: order.get(kv[0], len(order))))
        lead = [k for k in self._LEAD_KEYS if k in kept]
        tail = [k for k in self._TAIL_KEYS if k in kept and k not in lead]
        middle = [k for k in kept if k not in lead and k not in tail]
        return {k: kept[k] for k in lead + middle + tail}

    def model_dump_ob(self) -> dict[str, Any]:
        """The OB JSON form (see the module doc for what is omitted)."""
        return self.model_dump(mode="json", by_alias=True)

    def to_json(self, *, indent: int | None = None) -> str:
        """The OB JSON text, UTF-8 characters unescaped."""
        return json.dumps(self.model_dump_ob(), ensure_ascii=False, indent=indent)


def _read_context(context: Any | None) -> dict[str, Any]:
    merged: dict[str, Any] = {_READING: True}
    if isinstance(context, Mapping):
        merged.update(context)
    return merged


def _check_vocabulary(
    value: str | None, vocabulary: tuple[str, ...], info: ValidationInfo, *, ext: bool = True
) -> str | None:
    """Enforce a vocabulary on what we build; read documents are reported, not refused."""
    if value is None or _reading(info):
        return value
    if value in vocabulary or (ext and EXTENSION_VALUE.match(value)):
        return value
    allowed = ", ".join(vocabulary) + (" or an 'ext:' value" if ext else "")
    raise ValueError(f"{value!r} is not one of {allowed}")


# --------------------------------------------------------------------------- small parts


class Image(OBModel):
    """``{id (URI or data URI), type: "Image", caption?}``."""

    REQUIRED_TYPES = (("Image",),)
    id: str
    type: TypeValue = "Image"
    caption: str | None = None


class IdentifierEntry(OBModel):
    """Another identifier of a Profile or Achievement."""

    REQUIRED_TYPES = (("IdentifierEntry",),)
    type: TypeValue = "IdentifierEntry"
    identifier: str
    identifierType: str

    @field_validator("identifierType")
    @classmethod
    def _identifier_type(cls, value: str, info: ValidationInfo) -> str | None:
        return _check_vocabulary(value, IDENTITY_TYPES, info)


class GeoCoordinates(OBModel):
    REQUIRED_TYPES = (("GeoCoordinates",),)
    type: TypeValue = "GeoCoordinates"
    latitude: Number
    longitude: Number


class Address(OBModel):
    REQUIRED_TYPES = (("Address",),)
    type: TypeValue = Field(default_factory=lambda: ["Address"])
    addressCountry: str | None = None
    addressCountryCode: str | None = None
    addressRegion: str | None = None
    addressLocality: str | None = None
    streetAddress: str | None = None
    postOfficeBoxNumber: str | None = None
    postalCode: str | None = None
    geo: GeoCoordinates | None = None


class Criteria(OBModel):
    """How the achievement is earned. OB wants ``id`` and/or ``narrative``; reported by
    ``validate_credential`` rather than refused here."""

    id: str | None = None
    narrative: str | None = None


class Alignment(OBModel):
    REQUIRED_TYPES = (("Alignment",),)
    type: TypeValue = Field(default_factory=lambda: ["Alignment"])
    targetCode: str | None = None
    targetDescription: str | None = None
    targetName: str
    targetFramework: str | None = None
    targetType: str | None = None
    targetUrl: str

    @field_validator("targetType")
    @classmethod
    def _target_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_vocabulary(value, ALIGNMENT_TARGET_TYPES, info)


class Related(OBModel):
    REQUIRED_TYPES = (("Related",),)
    id: str
    type: TypeValue = Field(default_factory=lambda: ["Related"])
    inLanguage: str | None = None
    version: str | None = None


class RubricCriterionLevel(OBModel):
    REQUIRED_TYPES = (("RubricCriterionLevel",),)
    id: str
    type: TypeValue = Field(default_factory=lambda: ["RubricCriterionLevel"])
    alignment: list[Alignment] = Field(default_factory=list)
    description: str | None = None
    level: str | None = None
    name: str
    points: str | None = None


class ResultDescription(OBModel):
    REQUIRED_TYPES = (("ResultDescription",),)
    id: str
    type: TypeValue = Field(default_factory=lambda: ["ResultDescription"])
    alignment: list[Alignment] = Field(default_factory=list)
    allowedValue: list[str] = Field(default_factory=list)
    name: str
    requiredLevel: str | None = None
    requiredValue: str | None = None
    resultType: str
    rubricCriterionLevel: list[RubricCriterionLevel] = Field(default_factory=list)
    valueMax: str | None = None
    valueMin: str | None = None

    @field_validator("resultType")
    @classmethod
    def _result_type(cls, value: str, info: ValidationInfo) -> str | None:
        return _check_vocabulary(value, RESULT_TYPES, info)


class Result(OBModel):
    """A learner's result; ``resultDescription`` is the id of a ResultDescription."""

    REQUIRED_TYPES = (("Result",),)
    type: TypeValue = Field(default_factory=lambda: ["Result"])
    achievedLevel: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)
    resultDescription: str | None = None
    status: str | None = None
    value: str | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_vocabulary(value, RESULT_STATUS, info, ext=False)


class Evidence(OBModel):
    REQUIRED_TYPES = (("Evidence",),)
    id: str | None = None
    type: TypeValue = Field(default_factory=lambda: ["Evidence"])
    narrative: str | None = None
    name: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


class IdentityObject(OBModel):
    """A recipient identifier, usually a salted hash of an email address.

    Email policy: OB compares hashes of exactly what the issuer hashed. We issue hashes of the
    address stripped and lower-cased (``hashed_email``); ``matches`` tries the value as given
    and, for ``emailAddress``, stripped and lower-cased too, so badges from issuers that hash
    the address as typed and from issuers that normalise both still match. Plaintext emails
    compare case-insensitively. Other identity types compare exactly.
    """

    REQUIRED_TYPES = (("IdentityObject",),)
    type: TypeValue = "IdentityObject"
    hashed: StrictBool
    identityHash: str
    identityType: str
    salt: str | None = None

    @field_validator("identityType")
    @classmethod
    def _identity_type(cls, value: str, info: ValidationInfo) -> str | None:
        return _check_vocabulary(value, IDENTITY_TYPES, info)

    @classmethod
    def hashed_email(cls, email: str, salt: str | None = None) -> IdentityObject:
        """A salted SHA-256 identity for an email; a random salt unless one is given.

        The random salt keeps the hash from being reversed with a dictionary of addresses.
        """
        if salt is None:
            salt = secrets.token_hex(16)
        normalised = email.strip().lower()
        digest = hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()
        return cls(
            hashed=True,
            identityHash=f"sha256${digest}",
            identityType="emailAddress",
            salt=salt or None,
        )

    def _candidates(self, value: str) -> list[str]:
        candidates = [value]
        if self.identityType == "emailAddress":
            normalised = value.strip().lower()
            if normalised != value:
                candidates.append(normalised)
        return candidates

    def matches(self, value: str) -> bool:
        """Does ``value`` (e.g. an email address) identify this recipient?

        An unknown hash algorithm matches nothing rather than raising: a verifier asking
        "is this my badge?" needs a yes or no.
        """
        if not self.hashed:
            if self.identityType == "emailAddress":
                return value.strip().lower() == self.identityHash.strip().lower()
            return hmac.compare_digest(value.encode("utf-8"), self.identityHash.encode("utf-8"))
        algorithm, sep, expected = self.identityHash.partition("$")
        algorithm = algorithm.lower()
        if not sep or algorithm not in HASH_ALGORITHMS:
            return False
        expected = expected.strip().lower()
        salt = self.salt or ""
        for candidate in self._candidates(value):
            actual = hashlib.new(algorithm, (candidate + salt).encode("utf-8")).hexdigest()
            if hmac.compare_digest(actual, expected):
                return True
        return False


class Proof(OBModel):
    """A Data Integrity (or legacy) proof. Loose: suites add their own members.

    ``created`` stays a string when it is not a date-time, so one odd proof among several
    does not make the whole credential unreadable.
    """

    type: TypeValue
    created: Annotated[DateTimeZ | str, Field(union_mode="left_to_right")] | None = None
    cryptosuite: str | None = None
    challenge: str | None = None
    domain: str | None = None
    nonce: str | None = None
    proofPurpose: str | None = None
    proofValue: str | None = None
    verificationMethod: str | None = None


class CredentialSchema(OBModel):
    id: str
    type: TypeValue = JSON_SCHEMA_VALIDATOR_TYPE


class RefreshService(OBModel):
    id: str
    type: TypeValue = CREDENTIAL_REFRESH_TYPE


class TermsOfUse(OBModel):
    """Loose: terms-of-use types define their own members."""

    id: str | None = None
    type: TypeValue


class CredentialStatus(OBModel):
    """Any ``credentialStatus`` we do not model more closely; kept as given."""

    id: str | None = None
    type: TypeValue


class RevocationListStatus(OBModel):
    """``{id: <list URL>, type: "1EdTechRevocationList"}``."""

    REQUIRED_TYPES = ((REVOCATION_LIST_TYPE,),)
    id: str
    type: TypeValue = REVOCATION_LIST_TYPE


class BitstringStatusListEntry(OBModel):
    """A W3C Bitstring Status List entry. ``statusListIndex`` is a base-10 string by the spec;
    an integer index (seen in the wild) makes the entry read as a plain CredentialStatus."""

    REQUIRED_TYPES = (("BitstringStatusListEntry",),)
    id: str | None = None
    type: TypeValue = "BitstringStatusListEntry"
    statusPurpose: str
    statusListIndex: DigitString
    statusListCredential: str
    statusSize: StrictInt | None = None
    statusMessage: list[dict[str, Any]] = Field(default_factory=list)
    statusReference: str | list[str] | None = None


StatusEntry = Annotated[
    BitstringStatusListEntry | RevocationListStatus | CredentialStatus,
    Field(union_mode="left_to_right"),
]


# --------------------------------------------------------------------------- profile


class Profile(OBModel):
    """An issuer, creator, source or parent organisation."""

    REQUIRED_TYPES = (("Profile",),)
    id: str
    type: TypeValue = Field(default_factory=lambda: ["Profile"])
    name: str | None = None
    url: str | None = None
    phone: str | None = None
    description: str | None = None
    endorsement: list[EndorsementCredential] = Field(default_factory=list)
    endorsementJwt: list[str] = Field(default_factory=list)
    image: Image | None = None
    email: str | None = None
    address: Address | None = None
    otherIdentifier: list[IdentifierEntry] = Field(default_factory=list)
    official: str | None = None
    parentOrg: Profile | None = None
    familyName: str | None = None
    givenName: str | None = None
    additionalName: str | None = None
    patronymicName: str | None = None
    honorificPrefix: str | None = None
    honorificSuffix: str | None = None
    familyNamePrefix: str | None = None
    dateOfBirth: Date | None = None


# --------------------------------------------------------------------------- achievement


class Achievement(OBModel):
    """What was achieved; the same Achievement is shared by every credential awarding it."""

    REQUIRED_TYPES = (("Achievement",),)
    id: str
    type: TypeValue = Field(default_factory=lambda: ["Achievement"])
    achievementType: str | None = None
    alignment: list[Alignment] = Field(default_factory=list)
    creator: Profile | None = None
    creditsAvailable: Number | None = None
    criteria: Criteria
    description: str
    endorsement: list[EndorsementCredential] = Field(default_factory=list)
    endorsementJwt: list[str] = Field(default_factory=list)
    fieldOfStudy: str | None = None
    humanCode: str | None = None
    image: Image | None = None
    inLanguage: str | None = None
    name: str
    otherIdentifier: list[IdentifierEntry] = Field(default_factory=list)
    related: list[Related] = Field(default_factory=list)
    resultDescription: list[ResultDescription] = Field(default_factory=list)
    specialization: str | None = None
    tag: list[str] = Field(default_factory=list)
    version: str | None = None

    @field_validator("achievementType")
    @classmethod
    def _achievement_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_vocabulary(value, ACHIEVEMENT_TYPES, info)


class AchievementSubject(OBModel):
    """The recipient: ``id`` and/or ``identifier`` (checked by ``validate_credential``)."""

    REQUIRED_TYPES = (("AchievementSubject",),)
    id: str | None = None
    type: TypeValue = Field(default_factory=lambda: ["AchievementSubject"])
    activityEndDate: DateTimeZ | None = None
    activityStartDate: DateTimeZ | None = None
    creditsEarned: Number | None = None
    achievement: Achievement
    identifier: list[IdentityObject] = Field(default_factory=list)
    image: Image | None = None
    licenseNumber: str | None = None
    narrative: str | None = None
    result: list[Result] = Field(default_factory=list)
    role: str | None = None
    source: Profile | None = None
    term: str | None = None


class EndorsementSubject(OBModel):
    REQUIRED_TYPES = (("EndorsementSubject",),)
    id: str
    type: TypeValue = Field(default_factory=lambda: ["EndorsementSubject"])
    endorsementComment: str | None = None


# --------------------------------------------------------------------------- credentials


class VerifiableCredential(OBModel):
    """Members every credential here shares (VC 2.0, plus VC 1.1's dates for reading)."""

    context: list[ContextEntry] = Field(
        alias="@context", default_factory=lambda: _contexts(VC2_CONTEXT, OB_CONTEXT)
    )
    id: str | None = None
    type: TypeValue
    name: str | None = None
    description: str | None = None
    issuer: str | Profile
    awardedDate: DateTimeZ | None = None
    validFrom: DateTimeZ | None = None
    validUntil: DateTimeZ | None = None
    #: VC 1.1 only (read, never issued).
    issuanceDate: DateTimeZ | None = None
    expirationDate: DateTimeZ | None = None
    credentialSchema: CredentialSchema | list[CredentialSchema] | None = None
    credentialStatus: StatusEntry | list[StatusEntry] | None = None
    refreshService: RefreshService | None = None
    termsOfUse: TermsOfUse | list[TermsOfUse] | None = None
    proof: Proof | list[Proof] | None = None

    _TAIL_KEYS: ClassVar[tuple[str, ...]] = (
        "credentialSchema", "credentialStatus", "refreshService", "termsOfUse", "proof",
    )  # fmt: skip

    @model_validator(mode="after")
    def _has_start(self) -> Self:
        if self.validFrom is None and self.issuanceDate is None:
            raise ValueError("validFrom (VC 2.0) or issuanceDate (VC 1.1) is required")
        return self

    @property
    def is_vc1(self) -> bool:
        """A VC 1.1 document (accepted for verification only)."""
        return bool(self.context) and self.context[0] == VC11_CONTEXT

    @property
    def valid_from(self) -> datetime:
        start = self.validFrom or self.issuanceDate
        assert start is not None  # guaranteed by _has_start
        return start

    @property
    def valid_until(self) -> datetime | None:
        return self.validUntil or self.expirationDate

    @property
    def issuer_id(self) -> str:
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    @property
    def proofs(self) -> list[Proof]:
        return as_list(self.proof)

    @property
    def credential_schemas(self) -> list[CredentialSchema]:
        return as_list(self.credentialSchema)

    @property
    def credential_statuses(
        self,
    ) -> list[BitstringStatusListEntry | RevocationListStatus | CredentialStatus]:
        return as_list(self.credentialStatus)


class EndorsementCredential(VerifiableCredential):
    """A third party's endorsement of a Profile, Achievement or credential.

    ``id`` and ``name`` are required by OB but optional here: VC 1.1-era endorsements without
    them exist (DCV ``complete_v1.json``) and must still read; the schema reports them.
    """

    REQUIRED_TYPES = (("VerifiableCredential",), ("EndorsementCredential",))
    type: TypeValue = Field(
        default_factory=lambda: ["VerifiableCredential", "EndorsementCredential"]
    )
    credentialSubject: EndorsementSubject


class AchievementCredential(VerifiableCredential):
    """An OpenBadgeCredential (the OB context maps AchievementCredential to the same IRI)."""

    REQUIRED_TYPES = (
        ("VerifiableCredential",),
        ("OpenBadgeCredential", "AchievementCredential"),
    )
    id: str
    type: TypeValue = Field(default_factory=lambda: ["VerifiableCredential", "OpenBadgeCredential"])
    image: Image | None = None
    credentialSubject: AchievementSubject
    endorsement: list[EndorsementCredential] = Field(default_factory=list)
    endorsementJwt: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


OpenBadgeCredential = AchievementCredential


class BitstringStatusList(OBModel):
    """The subject of a status list credential: a GZIP'd, base64url bitstring."""

    REQUIRED_TYPES = (("BitstringStatusList",),)
    id: str | None = None
    type: TypeValue = "BitstringStatusList"
    statusPurpose: str | list[str]
    encodedList: str
    ttl: StrictInt | None = None
    statusReference: str | list[str] | None = None
    statusSize: StrictInt | None = None
    statusMessage: list[dict[str, Any]] = Field(default_factory=list)


class BitstringStatusListCredential(VerifiableCredential):
    """The published list. The VC v2 context defines its terms, so no OB context by default."""

    REQUIRED_TYPES = (("VerifiableCredential",), ("BitstringStatusListCredential",))
    context: list[ContextEntry] = Field(
        alias="@context", default_factory=lambda: _contexts(VC2_CONTEXT)
    )
    type: TypeValue = Field(
        default_factory=lambda: ["VerifiableCredential", "BitstringStatusListCredential"]
    )
    credentialSubject: BitstringStatusList


for _model in (Profile, Achievement, AchievementSubject, EndorsementCredential,
               AchievementCredential, BitstringStatusListCredential):  # fmt: skip
    _model.model_rebuild()
