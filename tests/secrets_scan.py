"""The secrets scanner: every secret a test run made, checked against everything it produced.

A run records two things here. *Secrets*, each under a label: API tokens, private key material
(every encoding of it: JWK members, secret multikey, PEM), the key-encryption key, passwords.
*Outputs*, each named by where it came from: response bodies and headers, log records with their
tracebacks, exception messages, CLI output, database rows. :meth:`SecretScanner.leaks` then
lists every secret found in an output that may not carry it. An output may carry a secret only
where the service hands it out by design (the one response that creates an API key), and only
that output: :meth:`SecretScanner.secret` names it.

Besides the recorded values, secret *shapes* are looked for everywhere, so a secret the run
forgot to record is still caught: an API token (``mc_<prefix>_<secret>``), a PEM private key,
a JWK with a private member, a secret multikey (``z3u2…``, ``z42t…``, ``z2fa…``).

Failures name the secret's label and the output, never the secret's value.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from keys.keypairs import KeyType, SigningKey, b64url_decode
from keys.multikey import encode_secret_multikey

__all__ = ["Leak", "Output", "SecretScanner"]

#: Values shorter than this would match by chance; every real secret is far longer.
MIN_SECRET_LENGTH = 16
_PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")
_SHAPES = {
    "an API token": re.compile(r"\bmc_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}"),
    "a PEM private key": re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    "a private JWK member": re.compile(
        r"""["'](?:d|p|q|dp|dq|qi)["']\s*:\s*["'][A-Za-z0-9_-]{32,}["']"""
    ),
    "a secret multikey": re.compile(r"\bz(?:3u2|42t|2fa)[1-9A-HJ-NP-Za-km-z]{40,}"),
}


@dataclass(frozen=True)
class Output:
    """Something the run produced, and where it came from."""

    index: int
    where: str
    text: str


@dataclass(frozen=True)
class Leak:
    """A secret (by label) where it does not belong."""

    label: str
    where: str

    def __str__(self) -> str:
        return f"{self.label} in {self.where}"


@dataclass
class SecretScanner:
    """Secrets and outputs of one run (see the module docstring)."""

    secrets: dict[str, str] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)
    #: label -> indexes of the outputs that may carry that secret
    shown_in: dict[str, set[int]] = field(default_factory=dict)

    # -- recording secrets -----------------------------------------------------------------

    def secret(self, label: str, value: str, *, shown_in: Iterable[Output] = ()) -> None:
        """Record a secret; ``shown_in`` are the outputs that hand it out by design."""
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"{label}: too short to search for without false matches")
        self.secrets[label] = value
        self.shown_in.setdefault(label, set()).update(output.index for output in shown_in)

    def raw_secret(self, label: str, raw: bytes) -> None:
        """A secret held as bytes: its base64url, base64 and hex spellings."""
        self.secret(f"{label} (base64url)", base64.urlsafe_b64encode(raw).decode().rstrip("="))
        self.secret(f"{label} (base64)", base64.b64encode(raw).decode().rstrip("="))
        self.secret(f"{label} (hex)", raw.hex())

    def signing_key(self, label: str, key: SigningKey) -> None:
        """Every encoding of a private key: its private JWK members (and their bytes in other
        spellings), its secret multikey, and its PEM body."""
        from jwcrypto import jwk as jose_jwk

        private = key.private_jwk()
        for member in _PRIVATE_JWK_MEMBERS:
            if member in private:
                self.secret(f"{label} JWK {member!r}", private[member])
                raw = b64url_decode(private[member])
                self.secret(f"{label} {member!r} (base64)", base64.b64encode(raw).decode())
                self.secret(f"{label} {member!r} (hex)", raw.hex())
        if key.key_type is not KeyType.RSA:
            self.secret(f"{label} secret multikey", encode_secret_multikey(key))
        if key.key_type is KeyType.ED25519:
            multikey = encode_secret_multikey(key, include_public=True)
            self.secret(f"{label} secret multikey with public key", multikey)
        pem = jose_jwk.JWK(**private).export_to_pem(private_key=True, password=None).decode()
        body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
        self.secret(f"{label} PEM", max(body, key=len))

    # -- recording outputs -----------------------------------------------------------------

    def produced(self, where: str, text: str) -> Output:
        output = Output(len(self.outputs), where, text)
        self.outputs.append(output)
        return output

    def log_records(self, records: Iterable[logging.LogRecord]) -> None:
        """Each log record as it would be written: message, then any traceback."""
        formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
        for record in records:
            self.produced(f"log record of {record.name}", formatter.format(record))

    def exception(self, where: str, error: BaseException) -> None:
        """An exception's message, its repr and its causes' (each once: a chain can loop)."""
        parts = []
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            parts += [str(current), repr(current)]
            current = current.__cause__ or current.__context__
        self.produced(f"exception {type(error).__name__} from {where}", "\n".join(parts))

    # -- judging ---------------------------------------------------------------------------

    def found_in(self, label: str) -> list[Output]:
        """The outputs that carry the secret ``label``."""
        value = self.secrets[label]
        return [output for output in self.outputs if value in output.text]

    def leaks(self) -> list[Leak]:
        """Every recorded secret, and every secret shape, where it does not belong."""
        found: list[Leak] = []
        known = set(self.secrets.values())
        for output in self.outputs:
            for label, value in self.secrets.items():
                if value in output.text and output.index not in self.shown_in[label]:
                    found.append(Leak(label, output.where))
            allowed = {
                self.secrets[label]
                for label, indexes in self.shown_in.items()
                if output.index in indexes
            }
            for shape, pattern in _SHAPES.items():
                for match in pattern.finditer(output.text):
                    text = match.group()
                    if any(text in value or value in text for value in allowed):
                        continue  # the secret this output hands out by design
                    if any(value in text for value in known):
                        continue  # already reported above, under its label
                    found.append(Leak(f"{shape} (not recorded)", output.where))
        return found
