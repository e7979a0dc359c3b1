"""Transcript → sentence units that keep their segment id, span, speaker and entities."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from clinscribe.asr.core.schemas import Segment
from clinscribe.nlp.core import Entity, Extraction, Vital, extract, split_sentences
from clinscribe.nlp.core.segmentation import Speaker

_WH_QUESTION = re.compile(
    r"^(?:(?:so|and|but|okay|ok|um|uh)\W+)*(?:when|what|why|how|where|who|which|should i|"
    r"can i|is it|is that|is there)\b",
    re.IGNORECASE,
)
_TAGS = {"clinician": "[doctor] ", "patient": "[patient] "}


@dataclass(slots=True)
class Unit:
    """One transcript sentence; offsets are into its segment's text."""

    index: int
    segment: int
    begin: int
    end: int
    text: str
    speaker: Speaker | None
    is_question: bool
    entities: list[Entity] = field(default_factory=list)
    vitals: list[Vital] = field(default_factory=list)


@dataclass(slots=True)
class Prepared:
    """Units plus the whole-transcript extraction with segment-relative offsets."""

    units: list[Unit]
    extraction: Extraction
    segment_text: dict[int, str]
    dialogue: bool
    entity_segments: list[int]
    original: Extraction


def joined_text(segments: Sequence[Segment]) -> tuple[str, list[int]]:
    """The text the NLP pipeline sees (speaker-tagged when any speaker is known)."""
    tagged = any(s.speaker for s in segments)
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for seg in segments:
        tag = (_TAGS.get(seg.speaker or "", "[guest] ")) if tagged else ""
        starts.append(pos + len(tag))
        piece = tag + seg.text.replace("\n", " ") + "\n"
        parts.append(piece)
        pos += len(piece)
    return "".join(parts), starts


def _relocate(items: list[Entity] | list[Vital], starts: list[int], ids: list[int]) -> list[int]:
    """Shift offsets to be segment-relative; return each item's segment id."""
    out: list[int] = []
    for item in items:
        i = max(bisect.bisect_right(starts, item.begin) - 1, 0)
        item.begin -= starts[i]
        item.end -= starts[i]
        out.append(ids[i])
    return out


def prepare(segments: Sequence[Segment], extraction: Extraction | None = None) -> Prepared:
    """Split segments into sentence units and attach entities and vitals to them.

    A given ``extraction`` must have been computed on ``joined_text(segments)``.
    """
    text, starts = joined_text(segments)
    original = extraction or extract(text)
    ext = original.model_copy(deep=True)
    ids = [s.id for s in segments]
    entity_segments = _relocate(ext.entities, starts, ids)
    vital_segments = _relocate(ext.vitals, starts, ids)
    units: list[Unit] = []
    for sent in split_sentences(text):
        i = max(bisect.bisect_right(starts, sent.begin) - 1, 0)
        base = starts[i]
        if sent.begin < base:  # the speaker tag itself
            continue
        units.append(
            Unit(
                index=len(units),
                segment=ids[i],
                begin=sent.begin - base,
                end=sent.end - base,
                text=sent.text,
                speaker=sent.speaker,
                is_question=sent.is_question or bool(_WH_QUESTION.match(sent.text)),
            )
        )
    by_segment: dict[int, list[Unit]] = {}
    for unit in units:
        by_segment.setdefault(unit.segment, []).append(unit)
    for ent, seg in zip(ext.entities, entity_segments, strict=True):
        for unit in by_segment.get(seg, []):
            if unit.begin <= ent.begin < unit.end:
                unit.entities.append(ent)
    for vital, seg in zip(ext.vitals, vital_segments, strict=True):
        for unit in by_segment.get(seg, []):
            if unit.begin <= vital.begin < unit.end:
                unit.vitals.append(vital)
    return Prepared(
        units=units,
        extraction=ext,
        segment_text={s.id: s.text for s in segments},
        dialogue=any(s.speaker for s in segments),
        entity_segments=entity_segments,
        original=original,
    )
