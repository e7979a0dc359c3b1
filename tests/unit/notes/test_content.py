"""Typed note content: the stored JSON shape round-trips, and one renderer makes note text."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import pytest

from clinscribe.notes.core import (
    Note,
    NoteContent,
    NoteSection,
    builtin_templates,
    draft_note,
    refine_with_llm,
    render_text,
    text_sha256,
)
from clinscribe.notes.core.llm import Message

from .conftest import DICTATION, VISIT, make_transcript

# A version as the review workflow stores it today: an edited section, fact decisions with the
# drafted facts kept, a blood pressure without "value", a medication with attributes, codes
# with a null score, a float vital and a non-ASCII character (stored \u-escaped).
STORED = (
    '{"template":"soap","status":"draft","sections":['
    '{"key":"subjective","title":"Subjective","text":"Cough for 3 days.",'
    '"evidence":[{"segment":1,"begin":0,"end":30}],"sentences":[{"text":"Cough for 3 days.",'
    '"kind":"hpi","evidence":[{"segment":1,"begin":0,"end":30}],"flags":[]}],"unsupported":0},'
    '{"key":"objective","title":"Objective","text":"Temp 37.2 \\u00b0C.","evidence":[],'
    '"sentences":[],"unsupported":0,"edited":true},'
    '{"key":"assessment","title":"Assessment","text":"","evidence":[],"sentences":[],'
    '"unsupported":0},'
    '{"key":"plan","title":"Plan","text":"Benzonatate 100 mg TID. [unsupported]",'
    '"evidence":[],"sentences":[{"text":"Benzonatate 100 mg TID.","kind":"plan",'
    '"evidence":[],"flags":["no evidence"]}],"unsupported":1}],'
    '"text":"SUBJECTIVE\\nCough for 3 days.\\n\\nOBJECTIVE\\nTemp 37.2 \\u00b0C.\\n\\n'
    'PLAN\\nBenzonatate 100 mg TID. [unsupported]",'
    '"entities":[{"text":"benzonatate","category":"MEDICATION","type":"GENERIC_NAME",'
    '"begin":120,"end":131,"score":0.9,"traits":[],"attributes":{"dosage":"100 mg",'
    '"route":null,"frequency":"three times a day","duration":null},"codes":[{"system":'
    '"https://go.drugbank.com/drugs","code":"DB00868","display":"Benzonatate","score":null}]}],'
    '"vitals":[{"type":"blood_pressure","systolic":128,"diastolic":82,"unit":"mmHg",'
    '"begin":60,"end":80},{"type":"temperature","value":37.2,"unit":"Cel","begin":40,"end":50}],'
    '"problems":[],"faithfulness":{"sentences":2,"supported":1,"share":0.5},'
    '"refined_by":null,"fact_review":{"extracted":{"entities":[{"text":"benzonatate",'
    '"category":"MEDICATION","type":"GENERIC_NAME","begin":120,"end":131,"score":0.9,'
    '"traits":[],"attributes":{"dosage":"100 mg","route":null,"frequency":"three times a day",'
    '"duration":null},"codes":[{"system":"https://go.drugbank.com/drugs","code":"DB00868",'
    '"display":"Benzonatate","score":null}]}],"problems":[{"text":"Acute bronchitis",'
    '"code":"J20.9","display":"Acute bronchitis, unspecified"}],"vitals":[{"type":'
    '"blood_pressure","systolic":128,"diastolic":82,"unit":"mmHg","begin":60,"end":80},'
    '{"type":"temperature","value":37.2,"unit":"Cel","begin":40,"end":50}]},'
    '"decisions":{"m0":"accepted","p0":"removed"}}}'
)


def section(key: str, text: str, title: str | None = None) -> NoteSection:
    return NoteSection(key=key, title=title or key.replace("_", " ").title(), text=text)


@pytest.fixture(scope="module")
def drafted() -> Note:
    return draft_note(make_transcript(VISIT), "soap")


# --- the renderer ------------------------------------------------------------------------


def test_the_renderer_puts_each_section_under_its_title_in_capitals() -> None:
    text = render_text(
        [
            section("history_of_present_illness", "Cough for 3 days.\nNo fever."),
            section("plan", "Rest."),
        ]
    )
    assert text == "HISTORY OF PRESENT ILLNESS\nCough for 3 days.\nNo fever.\n\nPLAN\nRest."


def test_the_renderer_leaves_out_empty_sections_and_trailing_whitespace() -> None:
    text = render_text(
        [
            section("subjective", ""),
            section("objective", "Lungs clear.\n\n  "),
            section("assessment", ""),
            section("plan", "Rest.\n"),
        ]
    )
    assert text == "OBJECTIVE\nLungs clear.\n\nPLAN\nRest."
    assert render_text([section("plan", "")]) == "" and render_text([]) == ""


def test_the_signed_hash_helper_hashes_exactly_the_rendered_text() -> None:
    sections = [section("plan", "Ibuprofen 400 mg \u2014 as needed.")]
    expected = hashlib.sha256("PLAN\nIbuprofen 400 mg \u2014 as needed.".encode()).hexdigest()
    assert text_sha256(sections) == expected
    assert text_sha256([section("plan", "Ibuprofen 200 mg \u2014 as needed.")]) != expected


# --- every caller renders with it --------------------------------------------------------


@pytest.mark.parametrize("template", [t.key for t in builtin_templates()])
def test_drafted_text_is_the_rendering_of_its_sections(template: str) -> None:
    for source in (VISIT, DICTATION):
        note = draft_note(make_transcript(source), template)
        assert note.text and note.text == render_text(note.sections)
        heads = [line for line in note.text.splitlines() if line.isupper()]
        assert heads == [s.title.upper() for s in note.sections if s.text]


@dataclass
class ScriptedChat:
    """A chat client answering one scripted JSON reply (the LLM is not under test here)."""

    reply: str
    model: str = "scripted"
    seen: list[list[Message]] = field(default_factory=list)

    def complete(self, messages: list[Message]) -> str:
        self.seen.append(messages)
        return self.reply


def test_refined_text_is_the_rendering_of_its_sections(drafted: Note) -> None:
    reply = {
        "sections": [
            {"key": "subjective", "sentences": [{"text": "Cough for 3 days.", "evidence": [1]}]},
            {"key": "plan", "sentences": [{"text": "Benzonatate as needed.", "evidence": [17]}]},
        ]
    }
    chat = ScriptedChat(json.dumps(reply))
    refined = refine_with_llm(drafted, make_transcript(VISIT), chat, "allow")
    assert chat.seen and refined.refined_by == "scripted"
    assert refined.text == render_text(refined.sections)
    assert refined.text.startswith("SUBJECTIVE\nCough for 3 days.")


def test_a_revision_marks_changed_sections_and_renders_the_text_again(drafted: Note) -> None:
    content = NoteContent.from_note(drafted)
    revised = content.revised(
        {"plan": "Rest and fluids.\n", "subjective": content.sections[0].text}
    )
    by_key = {s.key: s for s in revised.sections}
    assert by_key["plan"].text == "Rest and fluids.\n" and by_key["plan"].edited
    assert not by_key["subjective"].edited  # the same text is no change
    assert revised.text == render_text(revised.sections)
    assert revised.text.endswith("PLAN\nRest and fluids.")
    assert content.text == drafted.text and not any(s.edited for s in content.sections)


# --- the stored shape --------------------------------------------------------------------


def test_a_version_stored_in_the_current_shape_round_trips_byte_for_byte() -> None:
    content = NoteContent.from_json(STORED)
    assert content.to_json() == STORED
    assert [s.edited for s in content.sections] == [False, True, False, False]
    assert content.fact_review is not None
    assert content.fact_review.decisions == {"m0": "accepted", "p0": "removed"}
    assert content.fact_review.extracted.problems[0].code == "J20.9"
    assert content.vitals[0].value is None and content.vitals[0].systolic == 128
    assert content.text == render_text(content.sections)


def test_a_fresh_draft_is_stored_exactly_as_the_note_json(drafted: Note) -> None:
    content = NoteContent.from_note(drafted)
    as_before = json.dumps(drafted.model_dump(mode="json"), separators=(",", ":"))
    assert content.to_json() == as_before
    stored = json.loads(content.to_json())
    assert "fact_review" not in stored
    assert all("edited" not in s for s in stored["sections"])
    assert NoteContent.from_json(as_before).to_json() == as_before


def test_content_that_is_not_the_stored_shape_is_refused() -> None:
    broken = json.loads(STORED)
    broken["sections"][0]["colour"] = "red"
    with pytest.raises(ValueError):
        NoteContent.from_json(json.dumps(broken))
