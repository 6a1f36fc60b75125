"""The demo catalog: New Mexico's Advancement Program Level (APL) micro-credentials.

Written from the project's domain notes (``shared/docs/domain.md``): the five APL I-II
micro-credentials, the two required APL II-III ones and the six APL II-III electives; the 85%
mastery rule; Elevate NM domain alignments where the notes give them (Classroom Environment:
1B, 1E, 2C; Social Emotional Learning: 1B, 2A, 2B, 2C, 2D, 3A, 3B, 4C). The one-sentence
descriptions and the four-level rubric are this project's own illustration, not the state's
text, and the framework URLs are on an ``.example`` host: this is demo data.

The stacks (``apl-i-ii``, ``apl-ii-iii``, :data:`DEMO_STACKS`) are built by
:mod:`issuer.services.stacks` from the slug groups below: their rules are made when the demo
catalog is loaded, naming the loading issuer as the one accepted for each micro-credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from issuer.models import AchievementContent

__all__ = [
    "APL_II_III_ELECTIVES",
    "APL_II_III_ELECTIVES_NEEDED",
    "APL_II_III_REQUIRED",
    "APL_I_II",
    "DEMO_ACHIEVEMENTS",
    "DEMO_SPANISH",
    "DEMO_STACKS",
    "DemoAchievement",
    "DemoStack",
    "PASS_MARK",
    "demo_content",
]

#: "85% or higher on each mastery component" (NM APL).
PASS_MARK = "85"
FRAMEWORK = "Elevate NM"
FRAMEWORK_URL = "https://ped.nm.example/frameworks/elevate-nm"

CRITERIA = (
    "Complete the course's mastery components and submit evidence of practice (for example a "
    "lesson video, samples of student work and a written reflection). Trained facilitators "
    "score each mastery component against the common rubric; every component must score "
    f"{PASS_MARK}% or higher. Resubmission after feedback is free within the course. Evidence "
    "that holds student data is reviewed by the assessor and never published."
)


#: The criteria in Spanish, for the achievements published in Spanish too.
CRITERIA_ES = (
    "Completar los componentes de dominio del curso y presentar evidencias de la práctica (por "
    "ejemplo, el video de una clase, muestras del trabajo de los estudiantes y una reflexión "
    "escrita). Facilitadores capacitados califican cada componente de dominio con la rúbrica "
    f"común; cada componente debe obtener un {PASS_MARK} % o más. Volver a presentar un "
    "componente tras recibir comentarios no tiene costo dentro del curso. Las evidencias que "
    "contienen datos de estudiantes las revisa el evaluador y nunca se publican."
)


@dataclass(frozen=True)
class DemoAchievement:
    slug: str
    name: str
    human_code: str
    level: str  # "APL I-II" or "APL II-III"
    requirement: str  # "required" or "elective"
    description: str
    domains: tuple[str, ...] = ()


DEMO_ACHIEVEMENTS: tuple[DemoAchievement, ...] = (
    DemoAchievement(
        "classroom-environment", "Classroom Environment", "APL-I-II-CE", "APL I-II", "required",
        "The educator establishes a classroom environment of respect and rapport, a culture for "
        "learning and well-managed procedures.",
        ("1B", "1E", "2C"),
    ),
    DemoAchievement(
        "multi-layered-systems-of-support", "Multi-Layered Systems of Support", "APL-I-II-MLSS",
        "APL I-II", "required",
        "The educator uses tiered, data-informed supports to meet the academic and behavioral "
        "needs of every student.",
    ),
    DemoAchievement(
        "assessment-literacy", "Assessment Literacy", "APL-I-II-AL", "APL I-II", "required",
        "The educator designs and uses formative and summative assessments and acts on their "
        "results to guide instruction.",
    ),
    DemoAchievement(
        "culturally-linguistically-responsive-instruction",
        "Culturally and Linguistically Responsive Instruction", "APL-I-II-CLRI", "APL I-II",
        "required",
        "The educator builds instruction on students' cultures, languages and communities.",
    ),
    DemoAchievement(
        "family-engagement", "Family Engagement", "APL-I-II-FE", "APL I-II", "required",
        "The educator builds two-way partnerships with families in support of student learning.",
    ),
    DemoAchievement(
        "social-emotional-learning", "Social Emotional Learning", "APL-II-III-SEL", "APL II-III",
        "required",
        "The educator teaches and models social and emotional skills and builds them into "
        "classroom routines and instruction.",
        ("1B", "2A", "2B", "2C", "2D", "3A", "3B", "4C"),
    ),
    DemoAchievement(
        "new-mexico-education-acts", "New Mexico Education Acts", "APL-II-III-NMEA",
        "APL II-III", "required",
        "The educator applies New Mexico's education acts in planning, instruction and work "
        "with families and communities.",
    ),
    DemoAchievement(
        "restorative-practices", "Restorative Practices", "APL-II-III-RP", "APL II-III",
        "elective",
        "The educator uses restorative practices to build community and repair harm.",
    ),
    DemoAchievement(
        "vocabulary-development-through-cognates", "Vocabulary Development through Cognates",
        "APL-II-III-VDC", "APL II-III", "elective",
        "The educator uses cognates to develop the academic vocabulary of multilingual learners.",
    ),
    DemoAchievement(
        "engaging-students-in-learning", "Engaging Students in Learning", "APL-II-III-ESIL",
        "APL II-III", "elective",
        "The educator designs learning tasks that engage students intellectually and actively.",
    ),
    DemoAchievement(
        "mentoring-coaching-teachers", "Mentoring/Coaching Teachers", "APL-II-III-MCT",
        "APL II-III", "elective",
        "The educator mentors and coaches colleagues to improve their practice.",
    ),
    DemoAchievement(
        "trauma-informed-classroom", "Trauma Informed Classroom", "APL-II-III-TIC", "APL II-III",
        "elective",
        "The educator recognizes the effects of trauma on learning and builds a safe, "
        "predictable classroom.",
    ),
    DemoAchievement(
        "building-collaborative-inclusive-teams",
        "Building and Sustaining Collaborative and Inclusive Teams", "APL-II-III-BCIT",
        "APL II-III", "elective",
        "The educator builds and sustains collaborative, inclusive teams of colleagues.",
    ),
)  # fmt: skip

#: Spanish name and description of some demo achievements, published as their translations
#: (``translations`` in the catalog: a related Achievement, the signed one stays English).
DEMO_SPANISH: dict[str, tuple[str, str]] = {
    "classroom-environment": (
        "Ambiente del salón de clases",
        "El educador establece en el salón de clases un ambiente de respeto y buena relación, "
        "una cultura de aprendizaje y procedimientos bien organizados.",
    ),
    "multi-layered-systems-of-support": (
        "Sistemas de apoyo de múltiples niveles",
        "El educador ofrece apoyos escalonados y basados en datos para atender las necesidades "
        "académicas y de conducta de cada estudiante.",
    ),
    "assessment-literacy": (
        "Competencia en evaluación",
        "El educador diseña y usa evaluaciones formativas y sumativas, y se basa en sus "
        "resultados para orientar la enseñanza.",
    ),
    "culturally-linguistically-responsive-instruction": (
        "Enseñanza cultural y lingüísticamente receptiva",
        "El educador construye la enseñanza a partir de las culturas, las lenguas y las "
        "comunidades de sus estudiantes.",
    ),
    "family-engagement": (
        "Participación de las familias",
        "El educador establece alianzas de comunicación mutua con las familias para apoyar el "
        "aprendizaje de los estudiantes.",
    ),
    "social-emotional-learning": (
        "Aprendizaje socioemocional",
        "El educador enseña y modela habilidades sociales y emocionales, y las integra en las "
        "rutinas y la enseñanza del salón de clases.",
    ),
    "restorative-practices": (
        "Prácticas restaurativas",
        "El educador usa prácticas restaurativas para construir comunidad y reparar el daño.",
    ),
}

#: Level 1 → Level 2: all five.
APL_I_II: tuple[str, ...] = tuple(a.slug for a in DEMO_ACHIEVEMENTS if a.level == "APL I-II")
#: Level 2 → Level 3: both required ones ...
APL_II_III_REQUIRED: tuple[str, ...] = tuple(
    a.slug for a in DEMO_ACHIEVEMENTS if a.level == "APL II-III" and a.requirement == "required"
)
#: ... plus two of the six electives.
APL_II_III_ELECTIVES: tuple[str, ...] = tuple(
    a.slug for a in DEMO_ACHIEVEMENTS if a.requirement == "elective"
)
APL_II_III_ELECTIVES_NEEDED = 2


@dataclass(frozen=True)
class DemoStack:
    """A New Mexico license advancement as a stack: required micro-credentials, electives, and
    optionally a master's degree from another (trusted) issuer."""

    slug: str
    name: str
    human_code: str
    description: str
    required: tuple[str, ...]
    electives: tuple[str, ...] = ()
    electives_needed: int = 0
    masters_degree: bool = False


DEMO_STACKS: tuple[DemoStack, ...] = (
    DemoStack(
        "apl-i-ii", "APL I-II: Level 2 License Advancement", "APL-I-II",
        "New Mexico's Advancement Program Level I-II micro-credentials, counted toward advancing "
        "from a Level 1 to a Level 2 teaching license (with three years of teaching and district "
        "mentoring, which this credential does not cover).",
        APL_I_II,
    ),
    DemoStack(
        "apl-ii-iii", "APL II-III: Level 3 License Advancement", "APL-II-III",
        "New Mexico's Advancement Program Level II-III micro-credentials and a master's degree, "
        "counted toward advancing from a Level 2 to a Level 3 license (with six years of "
        "teaching, which this credential does not cover).",
        APL_II_III_REQUIRED, APL_II_III_ELECTIVES, APL_II_III_ELECTIVES_NEEDED,
        masters_degree=True,
    ),
)  # fmt: skip

_RUBRIC = (
    ("exemplary", "Exemplary", "4", "Exceeds the standard; could serve as a model for others."),
    ("proficient", "Proficient", "3", "Meets the standard consistently."),
    ("developing", "Developing", "2", "Meets parts of the standard; feedback given."),
    ("beginning", "Beginning", "1", "Does not yet meet the standard; resubmission invited."),
)


def demo_content(item: DemoAchievement, *, image: str | None = None) -> AchievementContent:
    """The catalog content of one demo micro-credential."""
    return AchievementContent.model_validate(
        {
            "name": item.name,
            "description": item.description,
            "achievementType": "MicroCredential",
            "humanCode": item.human_code,
            "criteria": {"narrative": CRITERIA},
            "image": {"id": image, "caption": f"{item.name} badge"} if image else None,
            "alignment": [
                {
                    "targetName": f"{FRAMEWORK} Domain {code}",
                    "targetUrl": f"{FRAMEWORK_URL}#{code}",
                    "targetType": "CFItem",
                    "targetCode": code,
                    "targetFramework": FRAMEWORK,
                }
                for code in item.domains
            ],
            "resultDescription": [
                {
                    "key": "mastery",
                    "name": "Mastery component score",
                    "resultType": "Percent",
                    "requiredValue": PASS_MARK,
                    "valueMin": "0",
                    "valueMax": "100",
                },
                {
                    "key": "rubric",
                    "name": "Rubric level",
                    "resultType": "RubricCriterionLevel",
                    "rubricCriterionLevel": [
                        {"key": key, "name": name, "points": points, "description": text}
                        for key, name, points, text in _RUBRIC
                    ],
                },
            ],
            "creditsAvailable": 1.0,
            "tag": [item.level, item.requirement, "New Mexico", "micro-credential"],
            "fieldOfStudy": "Education",
            "inLanguage": "en",
            "translations": _spanish(item.slug),
        }
    )


def _spanish(slug: str) -> dict[str, Any]:
    """The ``translations`` of a demo achievement: Spanish when :data:`DEMO_SPANISH` has it."""
    if slug not in DEMO_SPANISH:
        return {}
    name, description = DEMO_SPANISH[slug]
    words = {"name": name, "description": description, "criteria": {"narrative": CRITERIA_ES}}
    return {"es": words}
