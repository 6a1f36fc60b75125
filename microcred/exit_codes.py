"""The one exit-code convention of every ``microcred`` command.

A leaf module with no imports, so each package's CLI (``keys``, ``verifier``, ``issuer``) can
use the same numbers without importing another package's commands.
"""

from __future__ import annotations

__all__ = [
    "EXIT_INDETERMINATE",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "EXIT_VALID",
]

#: Success; for ``verify``, the credential is valid.
EXIT_OK = 0
EXIT_VALID = EXIT_OK
#: Refused or invalid: the command ran and the answer is no.
EXIT_INVALID = 1
#: The answer could not be had (e.g. a status list was unreachable).
EXIT_INDETERMINATE = 2
#: sysexits EX_USAGE: unusable input or arguments.
EXIT_USAGE = 64
#: sysexits EX_UNAVAILABLE: the data directory or the database cannot be used (unreachable,
#: damaged, read-only); nothing was done, and the same command may work once it is fixed.
EXIT_UNAVAILABLE = 69
