"""Built-in templates and validation of tenant-defined templates."""

from __future__ import annotations

import pytest

from clinscribe.notes.core import (
    FACT_KINDS,
    TemplateValidationError,
    UnknownTemplateError,
    builtin_templates,
    get_template,
    validate_template,
)


def test_the_builtin_templates_are_soap_hp_progress_and_apso() -> None:
    keys = [t.key for t in builtin_templates()]
    assert keys == ["soap", "history_and_physical", "progress_note", "apso"]
    assert all(t.capture_prompt and t.builtin for t in builtin_templates())


def test_history_and_physical_has_the_healthscribe_sections_in_order() -> None:
    keys = [s.key for s in get_template("h&p").sections]
    assert keys == [
        "chief_complaint",
        "history_of_present_illness",
        "review_of_systems",
        "past_medical_history",
        "medications",
        "allergies",
        "family_history",
        "social_history",
        "physical_examination",
        "results",
        "assessment",
        "plan",
    ]


def test_every_fact_kind_has_a_home_in_soap_and_hp() -> None:
    for key in ("soap", "history_and_physical", "progress_note", "apso"):
        kinds = {k for s in get_template(key).sections for k in s.fact_kinds}
        assert kinds == set(FACT_KINDS), key


def test_apso_puts_assessment_and_plan_first() -> None:
    assert [s.key for s in get_template("apso").sections][:2] == ["assessment", "plan"]


def test_an_unknown_template_key_raises() -> None:
    with pytest.raises(UnknownTemplateError):
        get_template("nonexistent")


def test_a_returned_template_can_be_changed_without_affecting_the_builtin() -> None:
    template = get_template("soap")
    template.sections.clear()
    assert get_template("soap").sections


def test_a_valid_tenant_template_is_accepted() -> None:
    template = validate_template(
        {
            "key": "ortho_visit",
            "title": "Orthopaedic visit",
            "capture_prompt": "Injury, exam, imaging, plan.",
            "sections": [
                {
                    "key": "injury",
                    "title": "Injury",
                    "instruction": "Mechanism.",
                    "fact_kinds": ["hpi"],
                },
                {"key": "findings", "title": "Findings", "fact_kinds": ["exam", "results"]},
                {"key": "plan", "title": "Plan", "fact_kinds": ["assessment", "plan"]},
            ],
        }
    )
    assert template.key == "ortho_visit" and not template.builtin


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"key": "x", "title": "X", "sections": []}, "sections"),
        ({"key": "Bad Key", "title": "X", "sections": [{"key": "a", "title": "A"}]}, "key"),
        ({"key": "x", "sections": [{"key": "a", "title": "A", "fact_kinds": ["hpi"]}]}, "title"),
        (
            {
                "key": "x",
                "title": "X",
                "sections": [{"key": "a", "title": "A", "fact_kinds": ["gossip"]}],
            },
            "fact_kinds",
        ),
        (
            {
                "key": "x",
                "title": "X",
                "sections": [
                    {"key": "a", "title": "A", "fact_kinds": ["hpi"]},
                    {"key": "a", "title": "B", "fact_kinds": ["plan"]},
                ],
            },
            "duplicate",
        ),
        ({"key": "x", "title": "X", "sections": [{"key": "a", "title": "A"}]}, "fact kind"),
        (
            {
                "key": "soap",
                "title": "Mine",
                "sections": [{"key": "a", "title": "A", "fact_kinds": ["hpi"]}],
            },
            "reserved",
        ),
        ({"key": "x", "title": "X", "sections": [{"key": "a", "title": "A"}], "extra": 1}, "extra"),
    ],
)
def test_a_malformed_tenant_template_is_rejected_with_a_reason(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(TemplateValidationError, match=message):
        validate_template(data)
