"""Stack claims for the verifier tests: New Mexico APL components from a provider (did:key),
a master's degree from a university (another did:key), their rules, and stack credentials.

Everything is local, as in ``support.py``: rules and evidence links are served as preloads.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from schemas.samples import hashed_email
from schemas.stack_rule import canonical_rule_bytes, parse_rule, rule_digest
from tests.verifier.support import World

EDUCATOR = "maria.lopez@schools.nm.example"
OTHER_EDUCATOR = "jose.garcia@schools.nm.example"
BASE = "https://ped.nm.example"
APL_I_II = (
    "classroom-environment",
    "multi-layered-systems-of-support",
    "assessment-literacy",
    "culturally-linguistically-responsive-instruction",
    "family-engagement",
)
REQUIRED_II_III = ("social-emotional-learning", "new-mexico-education-acts")
ELECTIVES = (
    "restorative-practices",
    "vocabulary-development-through-cognates",
    "engaging-students-in-learning",
    "mentoring-coaching-teachers",
    "trauma-informed-classroom",
    "building-collaborative-inclusive-teams",
)
SAMPLE_ACHIEVEMENT = f"{BASE}/achievements/classroom-environment/v1"


def title(slug: str) -> str:
    return slug.replace("-", " ").title()


def achievement_id(slug: str, version: int = 1) -> str:
    return f"{BASE}/achievements/{slug}/v{version}"


def credential_url(slug: str, email: str = EDUCATOR, tag: str = "") -> str:
    who = hashlib.sha256(email.encode()).hexdigest()[:8]
    return f"{BASE}/credentials/{slug}-{who}{tag}"


def component(
    world: World,
    slug: str,
    *,
    email: str = EDUCATOR,
    score: int = 92,
    issuer: str | None = None,
    key: Any = None,
    vm: str | None = None,
    salt: str | None = None,
    subject_id: str | None = None,
    tag: str = "",
    sign: bool = True,
    **members: Any,
) -> dict[str, Any]:
    """An APL micro-credential for ``email`` (signed by ``key``, default the provider)."""
    credential = world.credential(issuer=issuer)
    text = json.dumps(credential).replace(SAMPLE_ACHIEVEMENT, achievement_id(slug))
    credential = json.loads(text)
    credential["id"] = credential_url(slug, email, tag)
    credential["name"] = title(slug)
    subject = credential["credentialSubject"]
    subject["achievement"]["name"] = title(slug)
    subject["result"][0]["value"] = str(score)
    subject["identifier"] = [hashed_email(email, salt or f"salt-{slug}{tag}")]
    if subject_id is not None:
        subject["id"] = subject_id
    credential.update(members)
    if not sign:
        return credential
    return world.sign(credential, key=key, vm=vm) if key or vm else world.sign(credential)


def masters_degree(world: World, email: str = EDUCATOR, **members: Any) -> dict[str, Any]:
    """A Master of Arts in Education, signed by the university (``world.key_b``)."""
    credential = world.credential(issuer=world.did_b)
    credential["id"] = "urn:uuid:5a0c1f7e-6a53-4a44-b7c9-2f0b6f4c1d10"
    credential["name"] = "Master of Arts in Education"
    subject = credential["credentialSubject"]
    subject["identifier"] = [hashed_email(email, "salt-degree")]
    subject["achievement"] = {
        "id": "https://unm.example/degrees/ma-education",
        "type": ["Achievement"],
        "achievementType": "MasterDegree",
        "name": "Master of Arts in Education",
        "description": "A graduate degree in education.",
        "criteria": {"narrative": "Completed the program of study and a thesis."},
    }
    del subject["result"]
    credential.update(members)
    return world.sign(credential, key=world.key_b)


def _component_requirement(slug: str, issuers: list[str] | None) -> dict[str, Any]:
    return {
        "type": "component",
        "id": slug,
        "name": title(slug),
        "anyVersionOf": [f"{BASE}/achievements/{slug}"],
        "issuers": issuers,
        "minResult": {"resultType": "Percent", "value": "85"},
    }


def apl_i_ii_rule(issuers: list[str], **members: Any) -> dict[str, Any]:
    stack = achievement_id("apl-i-ii")
    return parse_rule(
        {
            "type": "StackRule",
            "id": f"{stack}/rule.json",
            "achievement": stack,
            "version": 1,
            "name": "APL I-II: Level 2 License Advancement",
            "requirements": [_component_requirement(s, issuers) for s in APL_I_II],
            **members,
        }
    ).to_json()


def apl_ii_iii_rule(issuers: list[str]) -> dict[str, Any]:
    stack = achievement_id("apl-ii-iii")
    return parse_rule(
        {
            "type": "StackRule",
            "id": f"{stack}/rule.json",
            "achievement": stack,
            "version": 1,
            "name": "APL II-III: Level 3 License Advancement",
            "requirements": [
                *(_component_requirement(s, issuers) for s in REQUIRED_II_III),
                {
                    "type": "choose",
                    "id": "electives",
                    "name": "2 electives",
                    "n": 2,
                    "of": [_component_requirement(s, issuers) for s in ELECTIVES],
                },
                {
                    "type": "component",
                    "id": "masters-degree",
                    "name": "A master's degree",
                    "achievementType": ["MasterDegree"],
                },
            ],
        }
    ).to_json()


def stack_credential(
    world: World,
    rule: dict[str, Any],
    components: list[dict[str, Any]],
    *,
    email: str = EDUCATOR,
    digest: str | None = None,
    pin: bool = True,
    evidence: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The stack credential a provider issues for ``components`` (signed by ``world.key_a``)."""
    credential = world.credential()
    credential["id"] = credential_url("stack", email)
    credential["name"] = rule["name"]
    subject = credential["credentialSubject"]
    subject["identifier"] = [hashed_email(email, "salt-stack")]
    subject["achievement"] = {
        "id": rule["achievement"],
        "type": ["Achievement"],
        "achievementType": "License",
        "name": rule["name"],
        "description": "License advancement.",
        "criteria": {"id": rule["id"], "narrative": "The rule in words."},
    }
    del subject["result"]
    credential["evidence"] = evidence or [
        {
            "type": ["Evidence"],
            "id": c["id"],
            "name": c["name"],
            "description": (
                f"{c['credentialSubject']['achievement']['name']} "
                f"({c['credentialSubject']['achievement']['id']})"
            ),
        }
        for c in components
    ]
    if pin:
        credential["relatedResource"] = [
            {
                "id": rule["id"],
                "digestSRI": digest or rule_digest(rule),
                "mediaType": "application/json",
            }
        ]
    return world.sign(credential)


def published(rule: dict[str, Any], *credentials: dict[str, Any]) -> dict[str, Any]:
    """Preloads: the rule at its URL (as served: canonical bytes), and each credential at its
    id (the evidence links)."""
    documents: dict[str, Any] = {rule["id"]: canonical_rule_bytes(rule)}
    for credential in credentials:
        documents[credential["id"]] = copy.deepcopy(credential)
    return documents
