"""First start: the first issuer and its keys, the first admin API key, the demo catalog.

``microcred serve`` and ``microcred init`` both call :func:`prepare`; only the call that creates
the first issuer gets an admin token back (it is stored hashed, so it can be shown only then).
Two processes preparing one PostgreSQL database at once take turns (:func:`issuer.db.startup_lock`):
the second finds the issuer and the catalog made, instead of dying on a unique violation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from issuer.choices import DEFAULT_ISSUER_NAME
from issuer.db import startup_lock
from issuer.models import CatalogAchievement, DidMethod, Issuer, IssuerCreate, Scope
from issuer.runtime import Runtime
from issuer.services.apikeys import create_api_key
from issuer.services.demo import load_demo_catalog
from issuer.services.issuers import create_issuer

__all__ = ["DEFAULT_ISSUER_NAME", "Prepared", "prepare", "slugify"]


def slugify(name: str) -> str:
    """A URL slug from a name: lower case, ASCII letters and digits, single hyphens."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "issuer"


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` found or made."""

    issuer: Issuer
    first_start: bool
    #: The first admin token (every issuer, every scope); only on first start.
    admin_token: str | None
    achievements_loaded: int


def prepare(
    *,
    session: Session,
    runtime: Runtime,
    issuer_name: str = DEFAULT_ISSUER_NAME,
    issuer_slug: str | None = None,
    did_method: DidMethod | None = None,
    demo: bool = True,
) -> Prepared:
    """Make the first issuer (with keys) and admin key if there is no issuer yet, and load the
    demo catalog if ``demo`` and the catalog is empty. Safe to call on every start, and from
    several processes at once."""
    with startup_lock(session.get_bind()):
        first = session.exec(select(Issuer).order_by(col(Issuer.id))).first()
        token = None
        if first is None:
            data = IssuerCreate(
                slug=issuer_slug or slugify(issuer_name), name=issuer_name, did_method=did_method
            )
            first = create_issuer(session=session, runtime=runtime, data=data)
            _, token = create_api_key(
                session=session, name="first admin key", scopes=[Scope.admin], issuer=None
            )
        loaded = 0
        if demo and session.exec(select(CatalogAchievement.id).limit(1)).first() is None:
            loaded = len(load_demo_catalog(session=session, runtime=runtime, issuer=first))
        session.refresh(first)  # loaded now, so it can still be read after the session closes
    return Prepared(
        issuer=first, first_start=token is not None, admin_token=token, achievements_loaded=loaded
    )
