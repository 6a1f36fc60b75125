"""The New Mexico demo: the APL micro-credentials and the stacks made of them.

``microcred init --demo``, the test fixtures and the browser tests load it. It sits above both
the catalog and the stacks services (a stack's rule names catalog achievements), so neither of
them needs the other's demo data.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from issuer.demo_catalog import DEMO_ACHIEVEMENTS, DEMO_STACKS, DemoStack, demo_content
from issuer.models import AchievementCreate, CatalogAchievement, Issuer, StackCreate
from issuer.services.catalog import create_achievement, get_achievement
from issuer.services.context import Runtime
from issuer.services.issuers import issuer_keys
from issuer.services.stacks import create_stack

__all__ = ["DEMO_PASS_MARK", "load_demo_catalog", "load_demo_stacks"]

#: NM: "85% or higher on each mastery component".
DEMO_PASS_MARK = "85"


def load_demo_catalog(
    *, session: Session, runtime: Runtime, issuer: Issuer
) -> list[CatalogAchievement]:
    """Add the New Mexico APL demo micro-credentials to ``issuer``'s catalog, then the APL I-II
    and APL II-III stacks made of them (:func:`load_demo_stacks`).

    Idempotent: slugs already in the catalog are left as they are (returns only the new ones).
    """
    created = []
    for item in DEMO_ACHIEVEMENTS:
        if session.exec(
            select(CatalogAchievement.id).where(CatalogAchievement.slug == item.slug)
        ).first():
            continue
        content = demo_content(item, image=runtime.urls.achievement_image(item.slug, 1))
        data = AchievementCreate.model_validate({**content.model_dump(), "slug": item.slug})
        created.append(
            create_achievement(session=session, runtime=runtime, issuer=issuer, data=data)
        )
    created += load_demo_stacks(session=session, runtime=runtime, issuer=issuer)
    return created


def _accepted_issuers(session: Session, issuer: Issuer) -> list[dict[str, str]]:
    """The ids ``issuer`` signs as: its DID, and for did:key every DID it has had (rotation
    changes a did:key), so components issued before a rotation still count."""
    dids = [issuer.did]
    dids += [k.controller for k in issuer_keys(session, issuer) if k.controller not in dids]
    return [{"id": did, "name": issuer.name} for did in dids if not did.endswith(":pending")]


def _demo_requirements(
    session: Session, runtime: Runtime, issuer: Issuer, stack: DemoStack
) -> list[dict[str, Any]]:
    accepted = _accepted_issuers(session, issuer)

    def component(slug: str) -> dict[str, Any]:
        row = get_achievement(session, slug)
        return {
            "type": "component",
            "id": slug,
            "name": row.document["name"],
            "anyVersionOf": [f"{runtime.urls.base}/achievements/{slug}"],
            "issuers": accepted,
            "minResult": {"resultType": "Percent", "value": DEMO_PASS_MARK},
        }

    requirements = [component(slug) for slug in stack.required]
    if stack.electives:
        requirements.append(
            {
                "type": "choose",
                "id": "electives",
                "name": f"{stack.electives_needed} electives",
                "n": stack.electives_needed,
                "of": [component(slug) for slug in stack.electives],
            }
        )
    if stack.masters_degree:
        requirements.append(
            {
                "type": "component",
                "id": "masters-degree",
                "name": "A master's degree",
                "achievementType": ["MasterDegree"],
                "issuers": None,
            }
        )
    return requirements


def load_demo_stacks(
    *, session: Session, runtime: Runtime, issuer: Issuer
) -> list[CatalogAchievement]:
    """Add the APL I-II and APL II-III stacks (after the demo micro-credentials). Idempotent."""
    created = []
    for stack in DEMO_STACKS:
        if session.exec(
            select(CatalogAchievement.id).where(CatalogAchievement.slug == stack.slug)
        ).first():
            continue
        data = StackCreate.model_validate(
            {
                "slug": stack.slug,
                "name": stack.name,
                "description": stack.description,
                "achievementType": "License",
                "humanCode": stack.human_code,
                "image": {
                    "id": runtime.urls.achievement_image(stack.slug, 1),
                    "caption": f"{stack.name} badge",
                },
                "tag": ["New Mexico", "license advancement", "stack"],
                "fieldOfStudy": "Education",
                "inLanguage": "en",
                "requirements": _demo_requirements(session, runtime, issuer, stack),
                "rule_description": (
                    "A master's degree counts when it is an Open Badges or Verifiable "
                    "Credential of achievementType MasterDegree from a university on the "
                    "office's trust lists, submitted for the educator."
                    if stack.masters_degree
                    else None
                ),
            }
        )
        created.append(
            create_stack(session=session, runtime=runtime, issuer=issuer, data=data).achievement
        )
    return created
