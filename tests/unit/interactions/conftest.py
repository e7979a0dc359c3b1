"""One checker per test session: the drug lexicon takes a few seconds to load."""

from __future__ import annotations

import pytest

from clinscribe.config import Settings
from clinscribe.interactions.checks import checker_from_settings
from clinscribe.interactions.core.checker import InteractionChecker


@pytest.fixture(scope="session")
def checker() -> InteractionChecker:
    return checker_from_settings(Settings())
