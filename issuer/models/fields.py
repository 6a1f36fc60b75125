"""Shared pieces of the model families: checked value types, the input base class, the
timestamp column and :func:`public_view`.

What callers send (HTTP bodies, CLI input, CSV rows) is validated by the same pydantic models,
so a bad value gets the same message wherever it comes from, and the message names the field
(pydantic's ``loc``). Unknown fields are refused (``extra="forbid"``, :class:`InputModel`): a
misspelt ``recipient_emial`` must not be silently dropped from a signed credential.

Timestamps are UTC, ``timezone=True`` columns (SQLite hands them back naive; readers use
:func:`schemas.dates.as_utc`).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from sqlmodel import Field

View = TypeVar("View", bound=BaseModel)

__all__ = [
    "SLUG_PATTERN",
    "AwareDatetime",
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
    "public_view",
    "timestamp",
]


SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s<>(),;:\"\[\]]+@{_LABEL}(?:\.{_LABEL})+$")
_DID = re.compile(r"^did:[a-z0-9]+:(?:[A-Za-z0-9._:%-]*[A-Za-z0-9._%-])(?:#[A-Za-z0-9._~%:-]+)?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    # Control characters are where Python and JavaScript canonicalizers disagree (see the
    # RDFC-1.0 escaping notes in schemas/rdfc.py): refuse them at the door.
    if _CONTROL.search(value):
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
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value) or len(value) > 2048:
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
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_characters),
]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Email = Annotated[str, AfterValidator(_email)]
Did = Annotated[str, AfterValidator(_did)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
ImageRef = Annotated[str, AfterValidator(_image)]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
ScalarText = Annotated[
    str,
    BeforeValidator(_scalar_text),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_no_control_characters),
]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$")]
IdempotencyKey = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]


class InputModel(BaseModel):
    """What a caller sends: unknown fields refused, surrounding whitespace stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def timestamp(**kwargs: Any) -> Any:
    """A ``timezone=True`` datetime column."""
    return Field(sa_type=sa.DateTime(timezone=True), **kwargs)


def public_view(model: type[View], row: object, **derived: Any) -> View:
    """``model`` validated from ``row``'s attributes of the same names, plus ``derived`` values
    (what the row does not hold itself: a URL, an issuer's slug)."""
    names = model.model_fields.keys() - derived.keys()
    values = {name: getattr(row, name) for name in names if hasattr(row, name)}
    return model.model_validate({**values, **derived})
