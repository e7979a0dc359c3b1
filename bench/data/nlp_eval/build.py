"""Build eval.jsonl from the marked-up item files in this folder (run by hand).

    python bench/data/nlp_eval/build.py [--check]

Markup, one item per `=== ID STYLE` header (STYLE: asr, dictation or written):
  {TYPE|surface}                    PHI span (PhiSpan types)
  <<type:value:unit|surface>>       vital sign (Extraction vital types/units; BP value S/D)
  [[ICD10|surface]]                 condition mention and the clinical concept it names
Offsets are computed from the markup, so they are right by construction; the check verifies
every span's text, flags unmarked repeats of a marked name and prints the counts.

The split is fixed once: an item belongs to the test half when the first byte of the SHA-256
of its id is odd, else to the tuning half. Items never move between halves.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "eval.jsonl"
PHI_TYPES = {
    "NAME", "DATE", "AGE_OVER_89", "PHONE", "EMAIL", "ADDRESS", "MRN", "SSN", "ID", "URL",
    "IP", "LOCATION", "ORGANIZATION",
}  # fmt: skip
VITAL_UNITS = {
    "blood_pressure": {"mmHg"}, "heart_rate": {"/min"}, "respiratory_rate": {"/min"},
    "temperature": {"Cel", "[degF]"}, "oxygen_saturation": {"%"}, "weight": {"kg", "[lb_av]"},
    "height": {"cm", "[in_i]"}, "bmi": {"kg/m2"}, "glucose": {"mg/dL"},
}  # fmt: skip
MARKUP = re.compile(
    r"\{(?P<phi>[A-Z_0-9]+)\|(?P<phi_text>[^{}|]+)\}"
    r"|<<(?P<vital>[a-z_]+):(?P<value>[\d./]+):(?P<unit>[^|>]+)\|(?P<vital_text>[^<>|]+)>>"
    r"|\[\[(?P<code>[A-Z][0-9A-Z.]+)\|(?P<cond_text>[^\[\]|]+)\]\]"
)


def split_of(item_id: str) -> str:
    return "test" if hashlib.sha256(item_id.encode()).digest()[0] % 2 else "tune"


def parse_item(item_id: str, style: str, body: str) -> dict[str, Any]:
    text_parts: list[str] = []
    pos = 0
    length = 0
    phi: list[dict[str, Any]] = []
    vitals: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    for m in MARKUP.finditer(body):
        plain = body[pos : m.start()]
        text_parts.append(plain)
        length += len(plain)
        surface = m.group("phi_text") or m.group("vital_text") or m.group("cond_text")
        begin, end = length, length + len(surface)
        if m.group("phi"):
            if m.group("phi") not in PHI_TYPES:
                raise ValueError(f"{item_id}: unknown PHI type {m.group('phi')}")
            phi.append({"text": surface, "type": m.group("phi"), "begin": begin, "end": end})
        elif m.group("vital"):
            kind, unit = m.group("vital"), m.group("unit")
            if unit not in VITAL_UNITS.get(kind, set()):
                raise ValueError(f"{item_id}: bad vital {kind} {unit}")
            vital: dict[str, Any] = {"type": kind, "unit": unit, "begin": begin, "end": end}
            if kind == "blood_pressure":
                s, d = m.group("value").split("/")
                vital |= {"systolic": int(s), "diastolic": int(d)}
            else:
                value = float(m.group("value"))
                vital["value"] = int(value) if value.is_integer() else value
            vital["text"] = surface
            vitals.append(vital)
        else:
            conditions.append(
                {"text": surface, "code": m.group("code"), "begin": begin, "end": end}
            )
        text_parts.append(surface)
        length += len(surface)
        pos = m.end()
    text_parts.append(body[pos:])
    text = "".join(text_parts)
    for marker in ("{", "}", "<<", ">>", "[[", "]]"):
        if marker in text:
            raise ValueError(f"{item_id}: unbalanced markup {marker!r}")
    return {
        "id": item_id,
        "style": style,
        "split": split_of(item_id),
        "text": text,
        "phi": phi,
        "vitals": vitals,
        "conditions": conditions,
    }


def load_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in sorted(HERE.glob("items_*.txt")):
        chunks = re.split(r"^=== ", path.read_text(), flags=re.M)
        for chunk in chunks[1:]:
            header, _, body = chunk.partition("\n")
            item_id, style = header.split()
            if style not in ("asr", "dictation", "written"):
                raise ValueError(f"{item_id}: unknown style {style}")
            items.append(parse_item(item_id, style, body.rstrip("\n")))
    ids = [i["id"] for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate item ids")
    return items


def check(items: list[dict[str, Any]]) -> list[str]:
    """Span texts match their offsets; marked names are not repeated unmarked."""
    problems: list[str] = []
    for item in items:
        text = item["text"]
        spans = item["phi"] + item["vitals"] + item["conditions"]
        for span in spans:
            if text[span["begin"] : span["end"]] != span["text"]:
                problems.append(f"{item['id']}: offset mismatch for {span['text']!r}")
        marked = [(s["begin"], s["end"]) for s in item["phi"]]
        words = {
            w.lower()
            for s in item["phi"]
            if s["type"] == "NAME"
            for w in s["text"].split()
            if len(w) > 2
        }
        for word in words:
            for m in re.finditer(rf"\b{re.escape(word)}\b", text, re.I):
                if not any(b <= m.start() < e for b, e in marked):
                    problems.append(f"{item['id']}: unmarked repeat of name {word!r}")
    return problems


def main() -> None:
    items = load_items()
    problems = check(items)
    for p in problems:
        print(p)
    if "--check" not in sys.argv:
        OUT.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    for half in ("tune", "test"):
        part = [i for i in items if i["split"] == half]
        print(
            f"{half}: {len(part)} texts ({sum(i['style'] != 'written' for i in part)} ASR-style), "
            f"{sum(len(i['phi']) for i in part)} PHI, {sum(len(i['vitals']) for i in part)} "
            f"vitals, {sum(len(i['conditions']) for i in part)} conditions"
        )
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
