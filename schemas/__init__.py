"""What a credential is: OB 3.0 / VC models, bundled JSON-LD contexts, canonical form, JSON Schemas.

No network I/O and no keys live here.

The names below are the library surface; the modules hold the rest (every OB model in
``schemas.models``, the status-list errors in ``schemas.bitstring``, baking, RDFC-1.0).
"""

from schemas.bitstring import Bitstring
from schemas.canonical import DocumentLoader, canonicalize
from schemas.dates import Clock, format_datetime, parse_datetime, utcnow
from schemas.errors import SchemasError
from schemas.loader import bundled_loader, preloading_loader
from schemas.models import (
    Achievement,
    AchievementCredential,
    EndorsementCredential,
    Profile,
)
from schemas.stack_eval import evaluate
from schemas.stack_rule import StackRule, parse_rule
from schemas.validation import validate_credential

__all__ = [
    "Achievement",
    "AchievementCredential",
    "Bitstring",
    "Clock",
    "DocumentLoader",
    "EndorsementCredential",
    "Profile",
    "SchemasError",
    "StackRule",
    "bundled_loader",
    "canonicalize",
    "evaluate",
    "format_datetime",
    "parse_datetime",
    "parse_rule",
    "preloading_loader",
    "utcnow",
    "validate_credential",
]
