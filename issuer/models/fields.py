"""Shared pieces of the model families: checked value types, the input base class, the
timestamp column and :func:`public_view`.

What callers send (HTTP bodies, CLI input, CSV rows) is validated by the same pydantic models,
so a bad value gets the same message wherever it comes from, and the message names the field
(pydantic's ``loc``). Unknown fields are refused (``extra="forbid"``, :class:`InputModel`): a
misspelt ``recipient_emial`` must not be silently dropped from a signed credential.

Timestamps are UTC, ``timezone=True`` columns. SQLite hands them back naive, so every
timestamp a view shows is a :data:`UtcDatetime`: made aware (UTC) when the view is built, and
written with its zone (``…Z``), as the OpenAPI document's ``date-time`` promises.

**The document says what is accepted.** Where a validator refuses what the JSON Schema of its
type would allow (an email, a DID, a URL, text that is blank or has control characters, a
number written as text), the type carries the same rule as JSON Schema keywords
(:class:`_Documented`), so a client generated from ``/openapi.json`` sends what is accepted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from sqlmodel import Field

from schemas.dates import as_utc

View = TypeVar("View", bound=BaseModel)

__all__ = [
    "BATCH_ID_PATTERN",
    "NO_CONTROL_PATTERN",
    "SLUG_PATTERN",
    "AwareDatetime",
    "BatchId",
    "Did",
    "Email",
    "HttpUrl",
    "IdempotencyKey",
    "ImageRef",
    "InputModel",
    "LanguageTag",
    "LongText",
    "ScalarText",
    "Slug",
    "Text",
    "UtcDatetime",
    "given",
    "has_control_characters",
    "public_view",
    "timestamp",
]


SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
#: What ``\s`` means differs between Python and JSON Schema (ECMA-262) regular expressions, so
#: the patterns the document repeats name the characters instead: C0 and C1 controls, DEL, and
#: the Unicode spaces of both (``str.isspace`` and ECMA's ``\s``, which adds U+FEFF).
_SPACES = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_EMAIL = re.compile(rf"^[^@<>(),;:\"\[\]{_SPACES}]+@{_LABEL}(?:\.{_LABEL})+$")
_DID = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-])(?:#[A-Za-z0-9._~%:-]+)?$")
_HTTP_URL = re.compile(rf"^https?://[^/?#{_SPACES}]+[^{_SPACES}]*$")
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_CONTROL = re.compile(f"[{_CONTROLS}]")
#: Text without a control character (tab, CR and LF are not).
NO_CONTROL_PATTERN = rf"^[^{_CONTROLS}]*$"
#: Text as :data:`Text` accepts it: no control character, and not blank (it is stripped).
_TEXT_PATTERN = rf"^[^{_CONTROLS}]*[^{_SPACES}][^{_CONTROLS}]*$"


@dataclass(frozen=True, eq=False)  # hashed by identity: Annotated metadata must hash
class _Documented:
    """JSON Schema keywords a type's validators enforce, for the OpenAPI document only
    (``replace``: the type's whole schema, when the generated one is not even the right
    type)."""

    keywords: dict[str, Any]
    replace: bool = False

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        if self.replace:
            return dict(self.keywords)
        return {**handler(core_schema), **self.keywords}


def has_control_characters(value: str) -> bool:
    """Whether ``value`` holds a C0 control character other than tab, CR and LF, or DEL."""
    return _CONTROL.search(value) is not None


def _no_control_characters(value: str) -> str:
    # Control characters are where Python and JavaScript canonicalizers disagree (see the
    # RDFC-1.0 escaping notes in schemas/rdfc.py), and PostgreSQL stores no NUL in text:
    # refuse them at the door.
    if has_control_characters(value):
        raise ValueError("must not contain control characters")
    return value


def _email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not an email address")
    return value.lower()


def _did(value: str) -> str:
    value = value.strip()
    if len(value) > 2048 or not _DID.match(value):
        raise ValueError("is not a DID (did:method:identifier)")
    return value


def _http_url(value: str) -> str:
    value = value.strip()
    if not _HTTP_URL.match(value) or len(value) > 2048:
        raise ValueError("is not an absolute http(s) URL")
    return value


def _image(value: str) -> str:
    value = value.strip()
    if value.startswith("data:image/"):
        if len(value) > 200_000:
            raise ValueError("data: image is larger than 200 kB; host it and give its URL")
        return value
    return _http_url(value)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time zone, e.g. 2026-09-30T00:00:00Z")
    return value


def _scalar_text(value: Any) -> Any:
    """Accept a JSON number where OB wants a string (``"85"``), refusing booleans and NaN."""
    if isinstance(value, bool):
        raise ValueError("must be a number or a string, not true/false")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int | float | Decimal):
        return format(Decimal(str(value)).normalize(), "f")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
    _Documented({"pattern": _TEXT_PATTERN}),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_characters),
    _Documented({"pattern": _TEXT_PATTERN}),
]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Email = Annotated[
    str,
    AfterValidator(_email),
    _Documented({"maxLength": 254, "pattern": _EMAIL.pattern}),
]
Did = Annotated[
    str, AfterValidator(_did), _Documented({"maxLength": 2048, "pattern": _DID.pattern})
]
HttpUrl = Annotated[
    str,
    AfterValidator(_http_url),
    _Documented({"maxLength": 2048, "pattern": _HTTP_URL.pattern}),
]
ImageRef = Annotated[
    str,
    AfterValidator(_image),
    _Documented(
        {
            "anyOf": [
                {"type": "string", "maxLength": 2048, "pattern": _HTTP_URL.pattern},
                {"type": "string", "maxLength": 200_000, "pattern": "^data:image/"},
            ],
            "description": "An http(s) URL, or a data: URL of an image up to 200 kB",
        },
        replace=True,
    ),
]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
#: A timestamp as views show it: aware, in UTC (a naive one, as SQLite returns, is UTC).
UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
#: A number written as text (``"85"``), or a JSON number, which is written so: its decimal
#: form must fit the 64 characters, which a number between 1e-40 and 1e40 always does.
ScalarText = Annotated[
    str,
    BeforeValidator(_scalar_text),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_characters),
    _Documented(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 64, "pattern": _TEXT_PATTERN},
                {"const": 0},
                {"type": "number", "minimum": 1e-40, "maximum": 1e40},
                {"type": "number", "minimum": -1e40, "maximum": -1e-40},
            ]
        },
        replace=True,
    ),
]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")]
#: A batch's id as the API takes it (query or body): printable ASCII, but no ``/`` and not
#: only dots, so that ``GET …/batches/{batch_id}`` names it again (a ``/`` would split the path,
#: and ``.`` or ``..`` are path segments every client collapses).
BATCH_ID_PATTERN = r"^[\x21-\x2e\x30-\x7e]*[\x21-\x2d\x30-\x7e][\x21-\x2e\x30-\x7e]*$"
BatchId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=BATCH_ID_PATTERN)]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


class InputModel(BaseModel):
    """What a caller sends: unknown fields refused, surrounding whitespace stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def given(*names: str, exactly_one: bool = False) -> dict[str, Any]:
    """JSON Schema for "at least one (or exactly one) of ``names`` is given, not null": a
    model's ``json_schema_extra`` where its validator asks that."""
    branches = [{"required": [n], "properties": {n: {"not": {"type": "null"}}}} for n in names]
    return {"oneOf" if exactly_one else "anyOf": branches}


def timestamp(**kwargs: Any) -> Any:
    """A ``timezone=True`` datetime column."""
    return Field(sa_type=sa.DateTime(timezone=True), **kwargs)


def public_view(model: type[View], row: object, **derived: Any) -> View:
    """``model`` validated from ``row``'s attributes of the same names, plus ``derived`` values
    (what the row does not hold itself: a URL, an issuer's slug)."""
    names = model.model_fields.keys() - derived.keys()
    values = {name: getattr(row, name) for name in names if hasattr(row, name)}
    return model.model_validate({**values, **derived})
