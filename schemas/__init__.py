"""What a credential is: OB 3.0 / VC models, bundled JSON-LD contexts, canonical form, JSON Schemas.

No network I/O and no keys live here.

The names below are the library surface; the modules hold the rest (every OB model in
``schemas.models``, the status-list errors in ``schemas.bitstring``, baking, RDFC-1.0).
"""

from typing import TYPE_CHECKING

from schemas.lazy import lazy_exports

if TYPE_CHECKING:
    from schemas.bitstring import (
        Bitstring,
    )
    from schemas.canonical import (
        DocumentLoader,
        canonicalize,
    )
    from schemas.dates import (
        Clock,
        format_datetime,
        parse_datetime,
        utcnow,
    )
    from schemas.errors import (
        SchemasError,
    )
    from schemas.loader import (
        bundled_loader,
        preloading_loader,
    )
    from schemas.models import (
        Achievement,
        AchievementCredential,
        EndorsementCredential,
        Profile,
    )
    from schemas.stack_eval import (
        evaluate,
    )
    from schemas.stack_rule import (
        StackRule,
        parse_rule,
    )
    from schemas.validation import (
        validate_credential,
    )

#: name → the module that defines it; imported on first use (schemas.lazy).
_EXPORTS = {
    "Achievement": "schemas.models",
    "AchievementCredential": "schemas.models",
    "Bitstring": "schemas.bitstring",
    "Clock": "schemas.dates",
    "DocumentLoader": "schemas.canonical",
    "EndorsementCredential": "schemas.models",
    "Profile": "schemas.models",
    "SchemasError": "schemas.errors",
    "StackRule": "schemas.stack_rule",
    "bundled_loader": "schemas.loader",
    "canonicalize": "schemas.canonical",
    "evaluate": "schemas.stack_eval",
    "format_datetime": "schemas.dates",
    "parse_datetime": "schemas.dates",
    "parse_rule": "schemas.stack_rule",
    "preloading_loader": "schemas.loader",
    "utcnow": "schemas.dates",
    "validate_credential": "schemas.validation",
}
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
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

del TYPE_CHECKING, lazy_exports  # helpers of this module, not part of its surface
