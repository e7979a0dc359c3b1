"""`clinscribe worker --queues`: job kinds to the queues a worker consumes."""

import pytest

from clinscribe.cli.common import CliError
from clinscribe.cli.serve import parse_queues
from clinscribe.tasks import TASKS


def test_job_kinds_name_their_queues_and_no_option_means_every_queue() -> None:
    assert parse_queues("transcribe") == {"clinscribe.transcribe"}
    assert parse_queues(" extract, deliver ,") == {"clinscribe.extract", "clinscribe.deliver"}
    assert parse_queues(None) is None and parse_queues("") is None
    assert parse_queues(",".join(TASKS)) == {f"clinscribe.{kind}" for kind in TASKS}


@pytest.mark.parametrize("value", ["transcribe,nope", ",", "TRANSCRIBE"])
def test_an_unknown_or_empty_queue_list_is_refused_naming_the_known_kinds(value: str) -> None:
    with pytest.raises(CliError) as caught:
        parse_queues(value)
    message = str(caught.value)
    assert message.startswith("--queues: unknown job kind") and "\n" not in message
    assert all(kind in message for kind in TASKS)
