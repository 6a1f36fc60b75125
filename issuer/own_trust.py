"""The service's own issuers, as the trust list its own verifier relies on.

Anyone can make a DID and call it "Demo Education Office"; a signature only says which key
signed. A service that issues knows which issuers are its own, so its verifier (``/verify``,
``/credentials/verify``, the badge pages) recognises them by default, listed as
:data:`OWN_ISSUERS_LIST` — and shows every other issuer as "Signature valid — issuer not
recognised" unless a list given by ``MICROCRED_VERIFIER_TRUST_LISTS`` names it.

The list is read from the database at each verification (issuers are added at run time, and a
did:key issuer's DID changes with each key rotation): every issuer's current DID and the DID of
every key it ever had, so credentials signed before a rotation are still recognised.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session, select

from issuer.models import Issuer, IssuerKey
from microcred.messages import Message
from verifier.trust import TrustedIssuer, TrustList

__all__ = ["OWN_ISSUERS_LIST", "own_issuers", "own_issuers_source"]

#: The name the report and the pages give this list: English in the JSON report (the contract),
#: and in the reader's language where a page shows it ("Issuer recognised: …"), since, unlike a
#: list a deployment names itself, these are the service's own words.
OWN_ISSUERS_LIST = Message("this service's issuers")


def own_issuers(session: Session) -> TrustList:
    """Every issuer of this service, under each DID it has issued with."""
    issuers = list(session.exec(select(Issuer)))
    names = {issuer.id: issuer.name for issuer in issuers}
    entries: dict[str, TrustedIssuer] = {}
    for issuer in issuers:
        entries.setdefault(issuer.did, TrustedIssuer(id=issuer.did, name=issuer.name))
    for key in session.exec(select(IssuerKey)):
        did = key.verification_method.split("#", 1)[0]
        entries.setdefault(did, TrustedIssuer(id=did, name=names.get(key.issuer_id)))
    return TrustList(
        name=OWN_ISSUERS_LIST,
        format="microcred",
        issuers=tuple(entries.values()),
        source="this service's database",
    )


def own_issuers_source(engine: Engine) -> Callable[[], list[TrustList]]:
    """What the service's verifier calls at each run for its own issuers' list."""

    def lists() -> list[TrustList]:
        with Session(engine) as session:
            return [own_issuers(session)]

    return lists
