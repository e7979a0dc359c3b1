"""SMART scopes: v1 and v2 forms, levels, and what each grants."""

from __future__ import annotations

import pytest

from clinscribe.security import smart


@pytest.mark.parametrize(
    ("scopes", "resource_type", "interaction", "level"),
    [
        (["patient/*.read"], "Observation", "search", "patient"),
        (["patient/Observation.read"], "Observation", "read", "patient"),
        (["patient/Observation.read"], "Condition", "read", None),
        (["user/Observation.read"], "Observation", "search", "user"),
        (["patient/*.read", "user/Observation.read"], "Observation", "read", "user"),
        (["system/*.read"], "Consent", "read", "system"),
        (["patient/Observation.rs"], "Observation", "search", "patient"),
        (["patient/Observation.r"], "Observation", "search", None),
        (["patient/Observation.s"], "Observation", "read", None),
        (["user/Observation.cruds"], "Observation", "read", "user"),
        (["user/*.*"], "CarePlan", "search", "user"),
        (["user/Observation.write"], "Observation", "read", None),
        (["user/Observation.rs?category=laboratory"], "Observation", "read", None),
        (["read", "openid", "launch/patient"], "Observation", "read", None),
    ],
)
def test_scopes_grant_the_widest_level_that_covers_the_interaction(
    scopes: list[str], resource_type: str, interaction: smart.Interaction, level: str | None
) -> None:
    assert smart.access(scopes, resource_type, interaction) == level


@pytest.mark.parametrize(
    "text", ["read", "user/.read", "user/observation.read", "user/*.", "admin/*.read", "user/*.sr"]
)
def test_strings_that_are_not_smart_scopes_grant_nothing(text: str) -> None:
    assert not smart.is_smart(text)
