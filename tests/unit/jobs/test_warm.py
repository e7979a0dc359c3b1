"""Workers load their kinds' models before taking jobs: each warm-up once, only for served kinds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clinscribe.config import Settings
from clinscribe.jobs.tasks import TASKS, Task, task, warm_tasks
from clinscribe.tasks import asr_tasks, nlp_tasks


@pytest.fixture
def spare_kinds() -> Iterator[list[str]]:
    kinds = ["test_warm_a", "test_warm_b", "test_warm_c"]
    yield kinds
    for kind in kinds:
        TASKS.pop(kind, None)


def test_shared_warm_ups_run_once_and_kinds_without_one_are_skipped(
    settings: Settings, spare_kinds: list[str]
) -> None:
    calls: list[Settings] = []

    def load(s: Settings) -> None:
        calls.append(s)

    def body(*_: object) -> tuple[str, str]:
        return "x", "y"

    a, b, c = spare_kinds
    task(a, warm=load)(body)
    task(b, warm=load)(body)
    task(c)(body)
    assert warm_tasks(settings, {c, b, a}) == [a, b]
    assert calls == [settings]
    assert warm_tasks(settings, {c}) == [] and calls == [settings]


def test_a_failing_warm_up_is_raised_to_the_worker(
    settings: Settings, spare_kinds: list[str]
) -> None:
    def broken(_: Settings) -> None:
        raise RuntimeError("model missing")

    task(spare_kinds[0], warm=broken)(lambda *_: ("x", "y"))
    with pytest.raises(RuntimeError, match="model missing"):
        warm_tasks(settings, {spare_kinds[0]})


def test_the_model_kinds_warm_their_models(settings: Settings) -> None:
    transcribe: Task = TASKS["transcribe"]
    extract: Task = TASKS["extract"]
    assert transcribe.warm is asr_tasks.warm and extract.warm is nlp_tasks.warm
    assert TASKS["deliver"].warm is None  # network-bound: nothing to load
    assert warm_tasks(settings, {"transcribe", "extract", "deliver"}) == ["extract", "transcribe"]
