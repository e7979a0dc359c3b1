"""The clinician's accept/remove decisions on a note's extracted facts.

Decisions are part of the note version's content, so they are versioned, diffed and signed
with the text. The first decision keeps the facts as drafted under `fact_review.extracted`;
from then on the content's `entities`, `problems` and `vitals` hold only what was not removed,
and those are what the FHIR bundle is built from, so a removed fact never reaches the EHR.
Fact ids are positions in the drafted lists — `m<i>` the i-th medication entity, `p<i>` the
i-th problem, `v<i>` the i-th vital — so they stay put however many facts are removed.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from clinscribe.errors import Unprocessable

Decision = Literal["accepted", "removed"]
KINDS = {"m": "medication", "p": "problem", "v": "vital"}
ICD10 = "icd-10"


def _extracted(content: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    review = content.get("fact_review") or {}
    if review.get("extracted"):
        return dict(review["extracted"])
    return {
        "entities": list(content.get("entities") or []),
        "problems": list(content.get("problems") or []),
        "vitals": list(content.get("vitals") or []),
    }


def _indexed(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Fact id → fact, in display order (medications, problems, vitals)."""
    medications = [e for e in snapshot["entities"] if e.get("category") == "MEDICATION"]
    out: dict[str, dict[str, Any]] = {}
    for prefix, items in (
        ("m", medications),
        ("p", snapshot["problems"]),
        ("v", snapshot["vitals"]),
    ):
        for i, item in enumerate(items):
            out[f"{prefix}{i}"] = item
    return out


def label(fact_id: str, fact: dict[str, Any]) -> str:
    """A one-line description of a fact for version history and diffs."""
    kind = KINDS[fact_id[0]]
    if kind == "vital":
        value = (
            f"{fact.get('systolic')}/{fact.get('diastolic')}"
            if fact.get("type") == "blood_pressure"
            else fact.get("value")
        )
        name = str(fact.get("type", "")).replace("_", " ")
        return f"vital {name} {value} {fact.get('unit') or ''}".rstrip()
    if kind == "problem":
        code = f" ({fact['code']})" if fact.get("code") else ""
        return f"problem {fact.get('text')}{code}"
    attrs = fact.get("attributes") or {}
    detail = ", ".join(str(v) for v in (attrs.get("dosage"), attrs.get("frequency")) if v)
    return f"medication {fact.get('text')}{f' — {detail}' if detail else ''}"


def listing(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every reviewable fact with its id, kind and decision (None while undecided)."""
    decisions = (content.get("fact_review") or {}).get("decisions") or {}
    return [
        {"id": fid, "kind": KINDS[fid[0]], "decision": decisions.get(fid), "fact": fact}
        for fid, fact in _indexed(_extracted(content)).items()
    ]


def _same_condition(entity: dict[str, Any], problem: dict[str, Any]) -> bool:
    """Whether a condition entity is the one a problem was drawn from (code, else words)."""
    if entity.get("category") != "MEDICAL_CONDITION":
        return False
    if problem.get("code"):
        codes = {c.get("code") for c in entity.get("codes") or [] if ICD10 in str(c.get("system"))}
        return problem["code"] in codes
    return str(entity.get("text", "")).strip().lower() == str(problem.get("text", "")).lower()


def apply(content: dict[str, Any], decisions: dict[str, Decision]) -> list[str]:
    """Record decisions in `content` (in place); the labels of what changed, for the reason."""
    snapshot = _extracted(content)
    facts = _indexed(snapshot)
    unknown = sorted(set(decisions) - set(facts))
    if unknown:
        raise Unprocessable(f"unknown fact ids: {', '.join(unknown[:20])}")
    review = content.get("fact_review") or {}
    current: dict[str, str] = dict(review.get("decisions") or {})
    changed = [
        f"{decision} {label(fid, facts[fid])}"
        for fid, decision in sorted(decisions.items())
        if current.get(fid) != decision
    ]
    current.update(decisions)
    removed = {fid for fid, decision in current.items() if decision == "removed"}
    gone_ids = {id(facts[fid]) for fid in removed}
    gone_problems = [facts[fid] for fid in removed if fid.startswith("p")]
    content["entities"] = [
        e
        for e in snapshot["entities"]
        if id(e) not in gone_ids and not any(_same_condition(e, p) for p in gone_problems)
    ]
    content["problems"] = [p for p in snapshot["problems"] if id(p) not in gone_ids]
    content["vitals"] = [v for v in snapshot["vitals"] if id(v) not in gone_ids]
    content["fact_review"] = {
        "extracted": copy.deepcopy(snapshot),
        "decisions": dict(sorted(current.items(), key=lambda kv: (kv[0][0], int(kv[0][1:])))),
    }
    return changed


def summary(content: dict[str, Any]) -> list[str]:
    """The decisions as lines, so version diffs show them next to text changes."""
    review = content.get("fact_review") or {}
    decisions = review.get("decisions") or {}
    if not decisions:
        return []
    facts = _indexed(_extracted(content))
    return [f"{decision}: {label(fid, facts[fid])}" for fid, decision in decisions.items()]


def carry(previous: dict[str, Any], drafted: dict[str, Any]) -> list[str]:
    """Keep, in a fresh draft (in place), the decisions made on the facts of the previous
    version that the new draft extracts again; a fact is the same when it reads the same
    (kind, words, dose, code, value). Returns the labels of the decisions kept."""
    review = previous.get("fact_review") or {}
    decisions: dict[str, str] = review.get("decisions") or {}
    if not decisions:
        return []
    old = _indexed(_extracted(previous))
    by_label: dict[str, str] = {}
    for fid, decision in decisions.items():
        if fid in old:
            by_label.setdefault(label(fid, old[fid]), decision)
    kept: dict[str, Decision] = {}
    labels = {fid: label(fid, fact) for fid, fact in _indexed(_extracted(drafted)).items()}
    for fid, text in labels.items():
        again = by_label.get(text)
        if again == "removed":
            kept[fid] = "removed"
        elif again == "accepted":
            kept[fid] = "accepted"
    if kept:
        apply(drafted, kept)
    return [f"{d} {labels[fid]}" for fid, d in kept.items()]
