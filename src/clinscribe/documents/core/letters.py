"""Letters and discharge summaries -> medications, problems, allergies and follow-up.

Letters are read line by line under their headings ("Current medications", "Problem list",
"Allergies", "Plan"/"Follow-up"); drug names come from the clinical NLP's drug lexicon and
frequencies and routes from its medication patterns, so the same vocabulary serves dictated
notes and written letters. A medication's status comes from cue words on its line ("start",
"ceased", "increased ... (was ...)", "continued") or from the heading it is listed under.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from clinscribe.documents.core.dates import day_first, find_dates
from clinscribe.documents.core.labs import LabResult, parse_labs
from clinscribe.documents.core.pages import Citation, PageText
from clinscribe.nlp.core.drugs import DrugLexicon, load_drug_lexicon
from clinscribe.nlp.core.medications import FREQUENCY_RE, ROUTE_RE

MedicationStatus = Literal["new", "changed", "continued", "stopped"]
ProblemStatus = Literal["active", "resolved"]


@dataclass(frozen=True)
class MedicationFact:
    """A medication as the letter states it."""

    name: str  # generic name, lower case ("furosemide", "budesonide/formoterol")
    dose: str | None  # "40 mg", "160/4.5 mcg, 2 puffs"
    frequency: str | None  # "twice daily", "every 4-6 hours as needed"
    route: str | None  # "oral", "inhaled", "subcutaneous"...
    status: MedicationStatus
    as_printed: str
    citation: Citation
    previous_dose: str | None = None  # for a change: the dose before
    previous_frequency: str | None = None
    reason: str | None = None
    low_confidence: bool = False


@dataclass(frozen=True)
class ProblemFact:
    """A problem or diagnosis listed in the letter."""

    text: str
    status: ProblemStatus
    citation: Citation


@dataclass(frozen=True)
class AllergyFact:
    """An allergy or adverse reaction: substance, and the reaction when given."""

    substance: str
    reaction: str | None
    citation: Citation


@dataclass(frozen=True)
class FollowUp:
    """The follow-up plan, and its first dated appointment when the letter gives one."""

    text: str
    date: date | None
    citation: Citation


@dataclass(frozen=True)
class LetterFacts:
    """Everything read from one letter."""

    medications: list[MedicationFact] = field(default_factory=list)
    problems: list[ProblemFact] = field(default_factory=list)
    allergies: list[AllergyFact] = field(default_factory=list)
    follow_up: FollowUp | None = None
    labs: list[LabResult] = field(default_factory=list)  # values quoted in the text


_Section = Literal["medications", "problems", "allergies", "follow_up", "other"]
_HEADINGS: tuple[tuple[re.Pattern[str], _Section], ...] = (
    (re.compile(r"allerg|adverse (drug )?reactions|intolerances", re.I), "allergies"),
    (
        re.compile(
            r"medication|medicines|drugs|prescriptions|changes (today|made)|"
            r"treatment changes|rx\b",
            re.I,
        ),
        "medications",
    ),
    (
        re.compile(r"problem|diagnos|past medical history|pmh|active issues|conditions", re.I),
        "problems",
    ),
    (
        re.compile(r"follow[- ]?up|^plan\b|recommendations|next steps|arrangements", re.I),
        "follow_up",
    ),
    (
        re.compile(
            r"summary|history|examination|results|investigations|impression|"
            r"assessment|laboratory|course|dear|sincerely|signed",
            re.I,
        ),
        "other",
    ),
)
_STOP = re.compile(
    r"\b(stop(ped)?|discontinu\w*|ceased?|cease|withdrawn|held|withheld|"
    r"suspended|no longer)\b",
    re.I,
)
_NEW = re.compile(r"\b(start(ed)?|new|commenc\w*|initiat\w*|begin|began|add(ed)?)\b", re.I)
_CHANGE = re.compile(
    r"\b(increas\w*|decreas\w*|reduc\w*|chang\w*|titrat\w*|"
    r"adjust\w*|switch\w*|uptitrat\w*|was\b|from\b.*\bto\b)",
    re.I,
)
_CONTINUE = re.compile(r"\b(continu\w*|unchanged|same|ongoing)\b", re.I)
_DOSE = re.compile(
    r"\b\d[\d,]*(?:\.\d+)?(?:/\d+(?:\.\d+)?)?\s*(?:mg|mcg|µg|ug|g|iu|units?|ml|mmol|%)"
    r"(?![a-z])(?:\s*(?:inhaler|tablets?|capsules?)?,?\s*\d+\s*(?:puffs?|tablets?|capsules?|drops?))?",
    re.I,
)
_RESOLVED = re.compile(
    r"\b(resolved|repleted|history of|previous|past|remote|treated|"
    r"in remission|cured|corrected)\b",
    re.I,
)
_BULLET = re.compile(r"^[\s*•·¢©®\-–—>.,;:'\"_~|]*(?:\d{1,2}[.)]\s+)?")  # noqa: RUF001
_NONE_KNOWN = re.compile(r"\b(nkda|no known (drug )?allerg\w*|nil known|none known)\b", re.I)


def _heading(line: str) -> tuple[_Section, str] | None:
    """A heading line (short, no dose) and the text after its colon, if any."""
    head, _sep, rest = line.partition(":")
    if len(head.split()) > 6 or _DOSE.search(head):
        return None
    if not _sep and (len(line) > 60 or line.rstrip().endswith(".")):
        return None
    for pattern, section in _HEADINGS:
        if pattern.search(head):
            return section, rest.strip()
    return None


def _drug_name(lexicon: DrugLexicon, line: str) -> tuple[str, int, int] | None:
    """The first drug named on a line: the printed name (combinations kept), lower case."""
    for m in re.finditer(r"[A-Za-z][A-Za-z0-9\-]*(?:/[A-Za-z][A-Za-z0-9\-]*)*", line):
        parts = m.group().split("/")
        if all(lexicon.get(p.lower()) for p in parts) and len(m.group()) > 2:
            end = m.end()
            after = line[end:]
            # Brand-form suffixes print with the name ("GLICLAZIDE MR", "Albuterol HFA").
            suffix = re.match(r"\s+(MR|XR|XL|SR|ER|CR|LA|HFA|D3)\b", after, re.I)
            name = m.group().lower()
            if suffix and suffix.group(1).upper() in {"MR", "XR", "XL", "SR", "ER", "CR", "LA"}:
                name += " " + suffix.group(1).upper()
            return name, m.start(), end
        two = line[m.start() : m.start() + 40].lower()
        for combo in ("vitamin d3", "vitamin d", "vitamin b12", "fish oil", "folic acid"):
            if two.startswith(combo) and lexicon.get(combo):
                return combo, m.start(), m.start() + len(combo)
    return None


def _route(text: str) -> str:
    found = ROUTE_RE.search(text)
    low = text.lower()
    if re.search(r"puff|inhal|nebul", low):
        return "inhaled"
    if found:
        word = found.group().lower().replace(".", "")
        for key, route in (
            ("iv", "intravenous"),
            ("intraven", "intravenous"),
            ("sub", "subcutaneous"),
            ("sc", "subcutaneous"),
            ("sq", "subcutaneous"),
            ("im", "intramuscular"),
            ("intramus", "intramuscular"),
            ("top", "topical"),
            ("transderm", "transdermal"),
            ("sublingual", "sublingual"),
            ("inject", "subcutaneous"),
        ):
            if word.startswith(key):
                return route
    if re.search(r"\binjection|\bunits\b", low):
        return "subcutaneous"
    return "oral"


def _medication(
    lexicon: DrugLexicon,
    line: str,
    begin: int,
    section_status: str | None,
    page: PageText,
    document_id: str,
) -> MedicationFact | None:
    drug = _drug_name(lexicon, line)
    if drug is None:
        return None
    name, name_begin, _name_end = drug
    doses = list(_DOSE.finditer(line))
    if not doses:
        return None  # a drug named in prose without a dose is not a medication statement
    status: MedicationStatus
    previous_dose = previous_frequency = None
    dose = doses[0]
    was = re.search(r"\((?:was|previously|prev\.?)\s+([^)]*)\)", line, re.I)
    change = re.search(r"\bfrom\s+(.+?)\s+to\s+(.+?)(?:[.;]|$)", line, re.I)
    if _STOP.search(line):
        status = "stopped"
    elif was or change or (_CHANGE.search(line) and not _CONTINUE.search(line)):
        status = "changed"
        if change:
            old, new = change.group(1), change.group(2)
            old_dose, new_dose = _DOSE.search(old), _DOSE.search(new)
            if new_dose:
                dose = next((d for d in doses if d.start() >= change.start(2)), dose)
            previous_dose = old_dose.group() if old_dose else None
            old_freq = FREQUENCY_RE.search(old)
            previous_frequency = old_freq.group() if old_freq else None
        elif was:
            old_dose = _DOSE.search(was.group(1))
            old_freq = FREQUENCY_RE.search(was.group(1))
            previous_dose = old_dose.group() if old_dose else None
            previous_frequency = old_freq.group() if old_freq else None
    elif _NEW.search(line):
        status = "new"
    elif _CONTINUE.search(line):
        status = "continued"
    else:
        status = section_status or "continued"  # type: ignore[assignment]
    rest = line[dose.end() :]
    if was:
        rest = rest.replace(was.group(), "")
    freq = FREQUENCY_RE.search(rest)
    reason_m = re.search(r"\(([^)]*)\)", line[dose.end() :])
    reason = None
    if reason_m and not re.match(r"(was|previously)\b", reason_m.group(1), re.I):
        reason = reason_m.group(1).strip()
    elif m := re.search(r"\b(?:for|due to|because of)\s+([^.;,]+)", rest, re.I):
        reason = m.group(1).strip()
    end = begin + len(line.rstrip())
    return MedicationFact(
        name=name,
        dose=dose.group().strip(),
        frequency=freq.group().strip() if freq else None,
        route=_route(line),
        status=status,
        as_printed=line.strip(),
        citation=Citation(document_id, page.number, begin + name_begin, end),
        previous_dose=previous_dose,
        previous_frequency=previous_frequency,
        reason=reason,
        low_confidence=page.is_uncertain(begin + dose.start(), begin + dose.end()),
    )


def _allergies(text: str, begin: int, page: PageText, document_id: str) -> list[AllergyFact]:
    if _NONE_KNOWN.search(text):
        return []
    found: list[AllergyFact] = []
    for m in re.finditer(r"[^;]+", text):
        item = m.group().strip(" .,")
        if not item:
            continue
        sub, reaction = item, None
        paren = re.match(r"(.+?)\s*\((.+)\)\s*$", item)
        dash = re.match(r"(.+?)\s+[-–:]\s+(.+)$", item)  # noqa: RUF001
        if paren:
            sub, reaction = paren.group(1), paren.group(2)
        elif dash:
            sub, reaction = dash.group(1), dash.group(2)
        sub = sub.strip(" .,:-")
        if len(sub) < 3:
            continue
        cite = Citation(document_id, page.number, begin + m.start(), begin + m.end())
        found.append(AllergyFact(sub, reaction.strip(" .") if reaction else None, cite))
    return found


def parse_letter(
    pages: Sequence[PageText], *, document_id: str = "", document_date: date | None = None
) -> LetterFacts:
    """The medications, problems, allergies, follow-up and quoted labs of a letter."""
    lexicon = load_drug_lexicon()
    dayfirst = day_first(p.text for p in pages)
    facts = LetterFacts(
        labs=parse_labs(pages, document_id=document_id, document_date=document_date)
    )
    follow: list[tuple[str, PageText, int, int]] = []
    section: _Section = "other"
    section_status: str | None = None
    for page in pages:
        offset = 0
        for raw in page.text.split("\n"):
            line_begin = offset
            offset += len(raw) + 1
            bullet = _BULLET.match(raw)
            cut = bullet.end() if bullet else 0
            line, begin = raw[cut:].rstrip(" :;|.,'}"), line_begin + cut
            if not line.strip():
                continue
            heading = _heading(line)
            if heading is not None:
                section, rest = heading
                low = line.lower()
                section_status = (
                    "stopped"
                    if _STOP.search(low)
                    else "new"
                    if re.search(r"\bnew\b", low)
                    else "changed"
                    if "change" in low
                    else None
                )
                if not rest:
                    continue
                rest_at = line.index(rest)
                line, begin = rest, begin + rest_at
            if section == "allergies" or re.match(r"allerg", line, re.I):
                facts.allergies.extend(_allergies(line, begin, page, document_id))
                continue
            med = _medication(lexicon, line, begin, section_status, page, document_id)
            if med is not None:
                facts.medications.append(med)
                continue
            if section == "problems":
                text = line.strip(" -")
                status: ProblemStatus = "resolved" if _RESOLVED.search(text) else "active"
                cite = Citation(document_id, page.number, begin, begin + len(line))
                facts.problems.append(ProblemFact(text, status, cite))
            elif section == "follow_up":
                follow.append((line.strip(), page, begin, begin + len(line)))
    if follow:
        text = "; ".join(f[0] for f in follow)
        when = next(iter(find_dates(text, dayfirst=dayfirst)), None)
        first = follow[0]
        cite = Citation(document_id, first[1].number, first[2], follow[-1][3])
        object.__setattr__(facts, "follow_up", FollowUp(text, when.value if when else None, cite))
    return facts
