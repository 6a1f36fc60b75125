"""Realistic, unsigned credentials, for the demo, the examples, benchmarks and tests.

The micro-credential is modelled on New Mexico's APL "Classroom Environment": aligned to
Elevate NM domains, a Percent result with the 85% pass rule and a rubric, evidence described in
a narrative (student data is never published), and the educator identified only by a salted
hash of their email. The master's degree is what a university outside microcred issues and an
educator submits toward APL II-III (``scripts/make_examples.py`` signs one for the README).
"""

from __future__ import annotations

from typing import Any

from schemas.models import OB_CONTEXT, OB_EXTENSIONS_CONTEXT, VC2_CONTEXT, IdentityObject

OB_ACHIEVEMENT_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)


def hashed_email(email: str, salt: str) -> dict[str, Any]:
    """The recipient's salted, hashed email as an ``IdentityObject`` member (OB JSON form)."""
    return IdentityObject.hashed_email(email, salt).model_dump_ob()


def sample_micro_credential(
    *,
    issuer_id: str = "did:web:ped.nm.example",
    credential_id: str = "https://ped.nm.example/credentials/7f1e7c55-5d0a-4c1b-9f4e-1f1c0c9e2a11",
    email: str = "maria.lopez@schools.nm.example",
    salt: str = "d2f1c0a9",
    score: int = 92,
    valid_from: str = "2026-09-30T00:00:00Z",
) -> dict[str, Any]:
    """An OB 3.0 AchievementCredential as microcred issues one (without a proof)."""
    achievement_id = "https://ped.nm.example/achievements/classroom-environment/v1"
    return {
        "@context": [VC2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Classroom Environment",
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": "New Mexico Public Education Department, Educator Licensure Bureau",
            "url": "https://ped.nm.example",
            "email": "licensure@ped.nm.example",
        },
        "validFrom": valid_from,
        "awardedDate": valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [hashed_email(email, salt)],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": "Classroom Environment",
                "humanCode": "APL-I-II-CE",
                "description": (
                    "The educator establishes a classroom environment of respect and rapport, "
                    "a culture for learning and well-managed procedures."
                ),
                "criteria": {
                    "id": f"{achievement_id}/criteria",
                    "narrative": (
                        "Submit evidence of practice (a lesson video, student work samples and "
                        "a reflection) scored against the common rubric; every mastery "
                        "component must score 85% or higher."
                    ),
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": f"Elevate NM Domain {code}",
                        "targetUrl": f"https://ped.nm.example/frameworks/elevate-nm#{code}",
                        "targetType": "CFItem",
                        "targetCode": code,
                    }
                    for code in ("1B", "1E", "2C")
                ],
                "resultDescription": [
                    {
                        "id": f"{achievement_id}/results/mastery",
                        "type": ["ResultDescription"],
                        "name": "Mastery component score",
                        "resultType": "Percent",
                        "requiredValue": "85",
                        "valueMin": "0",
                        "valueMax": "100",
                    }
                ],
                "creditsAvailable": 1.0,
                "fieldOfStudy": "Education",
                "tag": ["APL I-II", "New Mexico", "micro-credential"],
            },
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": f"{achievement_id}/results/mastery",
                    "value": str(score),
                }
            ],
            "creditsEarned": 1.0,
            "activityStartDate": "2026-07-01T00:00:00Z",
            "activityEndDate": "2026-09-15T00:00:00Z",
        },
        "evidence": [
            {
                "type": ["Evidence"],
                "name": "Scored submission",
                "narrative": (
                    "Lesson video, student work and reflection scored by a calibrated assessor. "
                    "The submission holds student data and is not published."
                ),
            }
        ],
        "credentialSchema": [
            {"id": OB_ACHIEVEMENT_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
        ],
    }


def sample_masters_degree(
    *,
    issuer_id: str,
    email: str = "maria.lopez@schools.nm.example",
    salt: str = "6b1f0c2a",
    credential_id: str = "urn:uuid:5a0c1f7e-6a53-4a44-b7c9-2f0b6f4c1d10",
    valid_from: str = "2024-05-15T00:00:00Z",
    achievement_type: str = "MasterDegree",
) -> dict[str, Any]:
    """A Master of Arts in Education from a university that is not on the service (without a
    proof): the kind of component a stack accepts by ``achievementType``."""
    return {
        "@context": [VC2_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Master of Arts in Education",
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "University of New Mexico (demo)"},
        "validFrom": valid_from,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [hashed_email(email, salt)],
            "achievement": {
                "id": "https://unm.example/degrees/ma-education",
                "type": ["Achievement"],
                "achievementType": achievement_type,
                "name": "Master of Arts in Education",
                "description": "A graduate degree in education.",
                "criteria": {"narrative": "Completed the program of study and a thesis."},
            },
        },
    }
