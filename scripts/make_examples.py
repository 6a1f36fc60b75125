#!/usr/bin/env python3
"""The README walkthrough's sample files: what an educator and a licensure office bring along.

Two kinds of file, made two ways:

* **Per data directory** (the default; the walkthrough runs this): a university outside
  microcred — its own demo key, made here — signs María's master's degree (a ``MasterDegree``
  OpenBadgeCredential, ``eddsa-rdfc-2022``); and the licensure office's trust list names that
  university and this data directory's issuers by their DIDs. Those DIDs are ``did:key`` on a
  local ``make run`` and made on its first start, so no file checked in could name them::

      python scripts/make_examples.py --recipient-email maria@schools.nm.example
      # writes university.jwk (kept if present), masters-degree.json, nm-ped-trust.json

  The data directory is the one every ``microcred`` command uses (``MICROCRED_DATA_DIR``).

* **Checked in** (``--samples``, for maintainers): ``examples/badge.png``, a plain badge image
  (the generated art of the demo's Classroom Environment) to bake a credential into, and
  ``examples/credential.json``, an unsigned micro-credential for ``microcred sign``.

Nothing here is a real key or a real university: the key is generated on each machine and
the files say "demo".
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import uuid
from pathlib import Path
from typing import Any

from issuer.cli.common import open_service
from issuer.data_dir import NoDataDirectory
from issuer.demo_catalog import DEMO_ACHIEVEMENTS
from issuer.own_trust import own_issuers
from issuer.services.sharing import badge_png
from keys.cli import default_verification_method
from keys.did import did_key
from keys.keyfile import load_key_file
from keys.keypairs import KeyType, SigningKey, dump_private_jwk
from keys.suites import ProofOptions, add_proof
from schemas.loader import bundled_loader
from schemas.samples import sample_masters_degree, sample_micro_credential
from verifier.trust import TrustList, parse_trust_list

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: The demo achievement whose art ``examples/badge.png`` shows (the walkthrough awards it).
BADGE_ACHIEVEMENT = "classroom-environment"
BADGE_SIZE = 256
UNIVERSITY_NAME = "University of New Mexico (demo)"
#: When the demo degree was conferred (a fixed date: the degree is not new each run).
DEGREE_DATE = "2024-05-15T00:00:00Z"


# ------------------------------------------------------------------------------ checked in


def badge_image() -> bytes:
    """The plain (unbaked) badge PNG of :data:`BADGE_ACHIEVEMENT`, as the service draws it."""
    [item] = [a for a in DEMO_ACHIEVEMENTS if a.slug == BADGE_ACHIEVEMENT]
    return badge_png({"name": item.name, "humanCode": item.human_code}, size=BADGE_SIZE)


def unsigned_credential() -> dict[str, Any]:
    """The unsigned micro-credential ``microcred sign`` is shown with."""
    return sample_micro_credential()


def write_samples(folder: Path = EXAMPLES) -> list[Path]:
    """Rewrite the checked-in samples."""
    badge, credential = folder / "badge.png", folder / "credential.json"
    badge.write_bytes(badge_image())
    credential.write_text(json.dumps(unsigned_credential(), indent=2, ensure_ascii=False) + "\n")
    return [badge, credential]


# ------------------------------------------------------------------------------ per data directory


def university_key(path: Path) -> SigningKey:
    """The demo university's Ed25519 key: read from ``path``, or made and written there (0600)."""
    if path.exists():
        key = load_key_file(path)
        if not isinstance(key, SigningKey):
            raise SystemExit(f"error: {path} holds a public key; the university signs with it")
        return key
    key = SigningKey.generate(KeyType.ED25519)
    path.touch(mode=0o600)
    path.write_text(dump_private_jwk(key) + "\n")
    return key


def signed_degree(key: SigningKey, email: str) -> dict[str, Any]:
    """A master's degree for ``email`` (a new id and salt each time), signed by ``key``."""
    did = did_key(key.public_key)
    credential = sample_masters_degree(
        issuer_id=did,
        email=email,
        salt=secrets.token_hex(8),
        credential_id=f"urn:uuid:{uuid.uuid4()}",
        valid_from=DEGREE_DATE,
    )
    return add_proof(
        credential,
        suite="eddsa-rdfc-2022",
        key=key,
        options=ProofOptions(
            verification_method=default_verification_method(key), created=DEGREE_DATE
        ),
        loader=bundled_loader(),
    )


def own_issuers_now() -> TrustList:
    """This data directory's issuers (``SystemExit`` naming the problem when there is none)."""
    try:
        with open_service() as (session, _):
            return own_issuers(session)
    except NoDataDirectory as error:
        raise SystemExit(f"error: {error}") from None


def office_trust_list(own: TrustList, university_did: str) -> dict[str, Any]:
    """The licensure office's list (``verifier/TRUST_LISTS.md``): the data directory's issuers
    ``own`` (every DID each has signed with) for micro-credentials, the university for degrees."""
    entries = [
        {
            "id": issuer.id,
            "name": issuer.name,
            "jurisdiction": "US-NM",
            "purposes": ["license-advancement", "renewal-credit"],
        }
        for issuer in own.issuers
    ]
    entries.append(
        {
            "id": university_did,
            "name": UNIVERSITY_NAME,
            "jurisdiction": "US-NM",
            "purposes": ["graduate-degrees"],
        }
    )
    document = {"name": "NM PED: trusted issuers (walkthrough example)", "issuers": entries}
    parse_trust_list(document, source="nm-ped-trust.json")  # what the verifier will read
    return document


def write_walkthrough_files(folder: Path, email: str) -> list[Path]:
    """The university's key, María's degree and the office's trust list, in ``folder``
    (the data directory is read first: without one, nothing is written)."""
    own = own_issuers_now()
    folder.mkdir(parents=True, exist_ok=True)
    key_path = folder / "university.jwk"
    key = university_key(key_path)
    degree, trust = folder / "masters-degree.json", folder / "nm-ped-trust.json"
    degree.write_text(json.dumps(signed_degree(key, email), indent=2, ensure_ascii=False) + "\n")
    document = office_trust_list(own, did_key(key.public_key))
    trust.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return [key_path, degree, trust]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--recipient-email",
        default="maria@schools.nm.example",
        help="The educator the degree is issued to (default: %(default)s).",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("."), help="Folder to write to (default: here)."
    )
    parser.add_argument(
        "--samples",
        action="store_true",
        help="Rewrite the checked-in examples/badge.png and examples/credential.json instead.",
    )
    args = parser.parse_args(argv)
    if args.samples:
        written = write_samples()
    else:
        written = write_walkthrough_files(args.out, args.recipient_email)
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
