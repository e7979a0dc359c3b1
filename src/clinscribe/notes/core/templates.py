"""Built-in note templates (SOAP, H&P, progress, APSO) and tenant template validation."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import ValidationError

from clinscribe.notes.core.errors import TemplateValidationError, UnknownTemplateError
from clinscribe.notes.core.schemas import FactKind, Template, TemplateSection

_SUBJECTIVE: list[FactKind] = [
    "chief_complaint",
    "hpi",
    "ros",
    "pmh",
    "medications",
    "allergies",
    "family_history",
    "social_history",
]
_OBJECTIVE: list[FactKind] = ["vitals", "exam", "results"]


def _s(key: str, title: str, instruction: str, *kinds: FactKind) -> TemplateSection:
    return TemplateSection(key=key, title=title, instruction=instruction, fact_kinds=list(kinds))


_SOAP_SECTIONS = {
    "subjective": _s(
        "subjective",
        "Subjective",
        "Chief complaint, history of present illness, pertinent positives and negatives, "
        "history, medications and allergies as the patient reports them.",
        *_SUBJECTIVE,
    ),
    "objective": _s(
        "objective",
        "Objective",
        "Vital signs, examination findings and results of tests.",
        *_OBJECTIVE,
    ),
    "assessment": _s(
        "assessment", "Assessment", "Problems and diagnoses with reasoning.", "assessment"
    ),
    "plan": _s("plan", "Plan", "Orders, treatment, counselling and follow-up.", "plan"),
}


def _builtins() -> list[Template]:
    soap = list(_SOAP_SECTIONS.values())
    hp = [
        _s("chief_complaint", "Chief Complaint", "Reason for the visit.", "chief_complaint"),
        _s(
            "history_of_present_illness",
            "History of Present Illness",
            "Onset, duration, character and course of the presenting problem.",
            "hpi",
        ),
        _s("review_of_systems", "Review of Systems", "Pertinent positives and negatives.", "ros"),
        _s("past_medical_history", "Past Medical History", "Prior conditions.", "pmh"),
        _s("medications", "Medications", "Current medications with dose.", "medications"),
        _s("allergies", "Allergies", "Allergies and reactions.", "allergies"),
        _s("family_history", "Family History", "Conditions in relatives.", "family_history"),
        _s("social_history", "Social History", "Tobacco, alcohol, work.", "social_history"),
        _s(
            "physical_examination", "Physical Examination", "Vitals and findings.", "vitals", "exam"
        ),
        _s("results", "Results", "Laboratory and imaging results.", "results"),
        _s("assessment", "Assessment", "Problems and diagnoses.", "assessment"),
        _s("plan", "Plan", "Orders, treatment and follow-up.", "plan"),
    ]
    progress = [
        _s(
            "interval_history",
            "Interval History",
            "Changes since the last visit and current symptoms.",
            "chief_complaint",
            "hpi",
            "ros",
            "pmh",
            "family_history",
            "social_history",
        ),
        _s("medications", "Medications", "Current medications.", "medications", "allergies"),
        _s("objective", "Objective", "Vitals, exam and results.", *_OBJECTIVE),
        _s(
            "assessment_and_plan",
            "Assessment and Plan",
            "Each problem with its plan.",
            "assessment",
            "plan",
        ),
    ]
    apso = [soap[2], soap[3], soap[0], soap[1]]
    hint = "Speak in sections if you like: say the section name, then its content."
    return [
        Template(
            key="soap",
            title="SOAP note",
            sections=soap,
            builtin=True,
            capture_prompt="Subjective, objective, assessment, plan. " + hint,
        ),
        Template(
            key="history_and_physical",
            title="History and physical",
            sections=hp,
            builtin=True,
            capture_prompt="Chief complaint, HPI, review of systems, history, medications, "
            "allergies, exam, results, assessment, plan. " + hint,
        ),
        Template(
            key="progress_note",
            title="Progress note",
            sections=progress,
            builtin=True,
            capture_prompt="Interval history, medications, exam and results, then each "
            "problem with its plan. " + hint,
        ),
        Template(
            key="apso",
            title="APSO note",
            sections=apso,
            builtin=True,
            capture_prompt="Assessment and plan first, then subjective and objective. " + hint,
        ),
    ]


_ALIASES = {
    "h&p": "history_and_physical",
    "hp": "history_and_physical",
    "progress": "progress_note",
}


@cache
def _registry() -> dict[str, Template]:
    return {t.key: t for t in _builtins()}


def builtin_templates() -> list[Template]:
    """The built-in templates (copies: callers may change them freely)."""
    return [t.model_copy(deep=True) for t in _registry().values()]


def get_template(key: str) -> Template:
    """A built-in template by key: soap, history_and_physical (h&p), progress_note, apso."""
    norm = _ALIASES.get(key.strip().lower(), key.strip().lower())
    found = _registry().get(norm)
    if found is None:
        raise UnknownTemplateError(f"unknown template: {key!r}")
    return found.model_copy(deep=True)


def validate_template(data: Template | dict[str, Any]) -> Template:
    """Validate a tenant-defined template: schema, unique section keys, at least one fact kind."""
    try:
        template = data if isinstance(data, Template) else Template.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "template"
        raise TemplateValidationError(f"{where}: {first['msg']}") from None
    keys = [s.key for s in template.sections]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise TemplateValidationError(f"duplicate section keys: {', '.join(duplicates)}")
    if not any(s.fact_kinds for s in template.sections):
        raise TemplateValidationError("no section names any fact kind: nothing could be drafted")
    if template.key in _registry() and not template.builtin:
        raise TemplateValidationError(f"template key {template.key!r} is reserved")
    return template.model_copy(update={"builtin": False}, deep=True)


def resolve_template(template: Template | str) -> Template:
    """A Template from a key or an already-built (tenant) template."""
    if isinstance(template, Template):
        return template if template.builtin else validate_template(template)
    return get_template(template)
