"""Synthetic patient records: lab PDFs, scanned letters and photographed slips, with gold.

    python bench/records_synth.py OUT_DIR [--patients N] [--seed S]

Writes OUT_DIR/<patient>/ (documents + patient.json: the input of `clinscribe admin
import-records`) and OUT_DIR/gold.json in the shape of the records development set (file paths
relative to OUT_DIR). Every patient follows one clinical archetype (heart failure, diabetes,
COPD, CKD, hypothyroidism, anticoagulation) so problems, medications and labs agree, and labs
trend across reports. Layouts, date formats, units (US or SI), name spellings, flags and
reference-range styles vary per patient. All content is invented.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import records_render as render
from records_archetypes import ALLERGIES, ARCHETYPES, FIRST, LABS, LABS_NAMES, LAST, Archetype, Lab

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
DATE_STYLES = ("iso", "us", "dmy_slash", "dmy_dot", "mon_d_y", "d_mon_y", "dd_mon_yyyy")
LAYOUTS = ("grid", "classic", "pipe", "leader", "colon")


def fmt_date(d: date, style: str) -> str:
    return {
        "iso": d.isoformat(),
        "us": f"{d.month:02d}/{d.day:02d}/{d.year}",
        "dmy_slash": f"{d.day:02d}/{d.month:02d}/{d.year}",
        "dmy_dot": f"{d.day:02d}.{d.month:02d}.{d.year}",
        "mon_d_y": f"{_MONTHS[d.month - 1]} {d.day}, {d.year}",
        "d_mon_y": f"{d.day} {_LONG[d.month - 1]} {d.year}",
        "dd_mon_yyyy": f"{d.day:02d}-{_MONTHS[d.month - 1].upper()}-{d.year}",
    }[style]


@dataclass
class Patient:
    key: str
    first: str
    last: str
    sex: str
    dob: date
    arch: Archetype
    si: bool
    date_style: str
    layout: str
    lab_name: str
    allergies: list[tuple[str, str]]


def _num(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def lab_values(p: Patient, rng: random.Random, visit: int) -> list[dict[str, Any]]:
    """One report's results: archetype abnormality, trend per visit, jitter; printed forms."""
    out = []
    for key in p.arch.panel:
        lab: Lab = LABS[key]
        loinc, unit, ucum, normal, lo, hi, dec = lab.si if p.si else lab.us
        factor = p.arch.abnormal.get(key, 1.0) * (p.arch.trend.get(key, 1.0) ** visit)
        value = round(normal * factor * rng.uniform(0.93, 1.07), dec)
        printed = _num(value, dec)
        value = float(printed)
        flag = (
            "H" if hi is not None and value > hi else "L" if lo is not None and value < lo else None
        )
        out.append(
            {
                "lab": lab,
                "loinc": loinc,
                "unit": unit,
                "ucum": ucum or None,
                "value": value,
                "printed": printed,
                "lo": lo,
                "hi": hi,
                "dec": dec,
                "flag": flag,
                "name": rng.choice(lab.names),
            }
        )
    return out


def ref_text(r: dict[str, Any], style: int) -> str:
    lo, hi, dec = r["lo"], r["hi"], max(r["dec"], 0)
    f = (lambda v: _num(v, dec)) if dec else (lambda v: str(int(v)))
    if lo is not None and hi is not None:
        return [
            f"{f(lo)}-{f(hi)}",
            f"{f(lo)} - {f(hi)}",
            f"({f(lo)}-{f(hi)})",
            f"{f(lo)} to {f(hi)}",
        ][style]
    if hi is not None:
        return [f"<{f(hi)}", f"< {f(hi)}", f"(<{f(hi)})", f"<= {f(hi)}"][style]
    return [f">{f(lo)}", f"> {f(lo)}", f"(>{f(lo)})", f">= {f(lo)}"][style]


def lab_report(
    p: Patient, rng: random.Random, when: date, visit: int, doc_no: int
) -> tuple[bytes, dict[str, Any]]:
    results = lab_values(p, rng, visit)
    ref_style = rng.randrange(4)
    flag_style = rng.choice([("H", "L"), ("HIGH", "LOW"), ("*H", "*L"), ("(H)", "(L)")])
    printed_date = fmt_date(when, p.date_style)
    header = [
        p.lab_name,
        f"Patient: {p.last.upper()}, {p.first}    DOB: {fmt_date(p.dob, p.date_style)}"
        f"    Sex: {p.sex}",
        f"Collected: {printed_date} 08:{rng.randint(10, 59)}"
        f"    Reported: {fmt_date(when + timedelta(days=1), p.date_style)}",
        f"Accession: SYN-{rng.randint(100000, 999999)}    Ordering: Dr {rng.choice(LAST)}",
        "SYNTHETIC TEST DOCUMENT",
    ]
    layout = p.layout
    titles = {
        "grid": ["Test", "Result", "Flag", "Units", "Reference Range"],
        "classic": ["Test Name", "Result", "Units", "Ref Range"],
        "pipe": ["TEST | RESULT | UNITS | RANGE | FLAG"],
        "leader": ["Investigation    Result"],
        "colon": ["Results"],
    }[layout]
    cols = {"grid": [0, 60, 80, 95, 125], "classic": [0, 70, 100, 130]}.get(layout, [0])
    rows: list[list[str]] = [titles]
    gold = []
    per_page = rng.choice([40, 40, 6])  # some reports break across pages
    pages: list[tuple[list[str], list[list[str]], list[float]]] = []
    page_no = 1
    for i, r in enumerate(results):
        if i and i % per_page == 0:
            pages.append((header, rows, cols))
            rows, page_no = [titles], page_no + 1
        flag = "" if r["flag"] is None else flag_style[0 if r["flag"] == "H" else 1]
        ref = ref_text(r, ref_style)
        unit = r["unit"]
        if layout == "grid":
            rows.append([r["name"], r["printed"], flag, unit, ref])
        elif layout == "classic":
            rows.append([r["name"], f"{r['printed']} {flag}".strip(), unit, ref])
        elif layout == "pipe":
            rows.append([" | ".join([r["name"], r["printed"], unit, ref, flag]).rstrip(" |")])
        elif layout == "leader":
            rows.append(
                [
                    f"{r['name']} {'.' * max(3, 28 - len(r['name']))} {r['printed']} {unit}"
                    f" {ref} {flag}".rstrip()
                ]
            )
        else:
            rows.append(
                [
                    f"{r['name']}: {r['printed']} {unit}   Ref: {ref}"
                    f"   {('[' + flag + ']') if flag else ''}".rstrip()
                ]
            )
        gold.append(_gold_lab(r, ref, page_no, when))
    pages.append((header, rows, cols))
    pdf = render.text_pdf(pages, mono=layout == "pipe")
    doc = {
        "doc_type": "lab_report",
        "format": "pdf_text",
        "has_text_layer": True,
        "pages": len(pages),
        "date": when.isoformat(),
        "date_as_printed": printed_date,
        "layout": layout,
        "labs": gold,
    }
    return pdf, doc


def _gold_lab(r: dict[str, Any], ref: str, page: int, when: date) -> dict[str, Any]:
    lab: Lab = r["lab"]
    return {
        "name": r["name"],
        "canonical": lab.canonical,
        "loinc": r["loinc"],
        "loinc_accept": sorted(set(lab.accept) | {r["loinc"]}),
        "value": r["value"],
        "value_as_printed": r["printed"],
        "unit": r["unit"] or None,
        "ucum": r["ucum"] if r["unit"] else None,
        "ref_low": r["lo"],
        "ref_high": r["hi"],
        "ref_as_printed": ref.strip("()"),
        "flag": r["flag"],
        "page": page,
        "date": when.isoformat(),
    }


def letter(
    p: Patient, rng: random.Random, when: date, labs_when: date
) -> tuple[list[str], dict[str, Any]]:
    """A clinic letter or discharge summary: problems, medication changes, allergies, results."""
    results = [r for r in lab_values(p, rng, 1) if r["unit"]][:4]
    meds = list(p.arch.meds)
    heading = rng.choice
    lines = [
        f"{rng.choice(LAST)} {rng.choice(['Medical Centre', 'Specialist Clinic', 'Hospital'])}",
        "",
        fmt_date(when, p.date_style),
        "",
        f"Re: {p.first} {p.last}, DOB {fmt_date(p.dob, p.date_style)}",
        "",
        "Dear Doctor,",
        f"I reviewed {p.first} in clinic today. Thank you for the referral.",
        "",
        heading(["Problem list", "Diagnoses", "Active problems"]),
    ]
    problems = [{"text": t, "status": "active"} for t in p.arch.problems]
    lines += [f"{i}. {t}" for i, t in enumerate(p.arch.problems, 1)]
    lines += [
        "",
        f"{heading(['Recent results', 'Laboratory results', 'Investigations'])}"
        f" ({fmt_date(labs_when, p.date_style)})",
    ]
    gold_labs = []
    for r in results:
        lines.append(f"- {r['name']} {r['printed']} {r['unit']}")
        g = _gold_lab(r, "", 1, labs_when)
        g.update(ref_low=None, ref_high=None, ref_as_printed=None, flag=None)
        gold_labs.append(g)
    lines += ["", heading(["Current medications", "Medications", "Medication list"])]
    gold_meds = []
    for m in meds:
        lines.append(f"- {m.name.capitalize()} {m.dose} {m.frequency}")
        gold_meds.append(
            {
                "name": m.name,
                "dose": m.dose,
                "frequency": m.frequency,
                "route": m.route,
                "status": "continued",
            }
        )
    lines += ["", heading(["Changes today", "Medication changes", "Plan for medicines"])]
    new, stop = p.arch.new_med, p.arch.stopped_med
    lines.append(f"- Start {new.name} {new.dose} {new.frequency}.")
    lines.append(f"- Stop {stop.name} {stop.dose} {stop.frequency} ({p.arch.stop_reason}).")
    gold_meds.append(
        {
            "name": new.name,
            "dose": new.dose,
            "frequency": new.frequency,
            "route": new.route,
            "status": "new",
        }
    )
    gold_meds.append(
        {
            "name": stop.name,
            "dose": stop.dose,
            "frequency": stop.frequency,
            "route": stop.route,
            "status": "stopped",
            "reason": p.arch.stop_reason,
        }
    )
    lines += ["", "Allergies: " + "; ".join(f"{s} ({r})" for s, r in p.allergies)]
    follow = when + timedelta(days=rng.choice([28, 42, 90]))
    fu_text = f"Repeat bloods in 4 weeks. Review in clinic on {fmt_date(follow, p.date_style)}."
    lines += [
        "",
        heading(["Plan", "Follow-up"]),
        fu_text,
        "",
        "Yours sincerely,",
        f"Dr {rng.choice(FIRST)} {rng.choice(LAST)}",
        "SYNTHETIC TEST DOCUMENT - fictitious patient",
    ]
    doc = {
        "doc_type": "clinic_letter",
        "date": when.isoformat(),
        "date_as_printed": fmt_date(when, p.date_style),
        "labs": gold_labs,
        "problems": problems,
        "medications": gold_meds,
        "allergies": [{"substance": s, "reaction": r} for s, r in p.allergies],
        "follow_up": {"text": fu_text, "date": follow.isoformat()},
    }
    return lines, doc


def slip(p: Patient, rng: random.Random, when: date) -> tuple[list[str], dict[str, Any]]:
    results = lab_values(p, rng, 3)[: rng.randint(3, 5)]
    style = rng.randrange(4)
    lines = [
        p.lab_name.upper(),
        f"{p.last.upper()}, {p.first.upper()}   DOB {fmt_date(p.dob, p.date_style)}",
        f"Collected: {fmt_date(when, p.date_style)}",
        "",
        "TEST        RESULT   RANGE      UNITS",
    ]
    gold = []
    for r in results:
        ref = ref_text(r, style)
        lines.append(
            f"{r['name'].upper()}  {r['printed']} {r['flag'] or ''}  {ref}  {r['unit']}".replace(
                "  ", " ", 1
            )
        )
        g = _gold_lab(r, ref, 1, when)
        gold.append(g)
    lines += ["", "Synthetic test document."]
    return lines, {
        "doc_type": "lab_slip_photo",
        "format": "image",
        "has_text_layer": False,
        "pages": 1,
        "date": when.isoformat(),
        "date_as_printed": fmt_date(when, p.date_style),
        "labs": gold,
    }


def make_patient(index: int, rng: random.Random) -> Patient:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    dob = date(rng.randint(1940, 1990), rng.randint(1, 12), rng.randint(1, 28))
    si = rng.random() < 0.5
    style = rng.choice(
        ["dmy_slash", "dmy_dot", "d_mon_y", "dd_mon_yyyy", "iso"]
        if si
        else ["us", "mon_d_y", "iso"]
    )
    return Patient(
        f"SY-P{index:03d}",
        first,
        last,
        rng.choice("FM"),
        dob,
        rng.choice(ARCHETYPES),
        si,
        style,
        rng.choice(LAYOUTS),
        rng.choice(LABS_NAMES),
        rng.sample(list(ALLERGIES), rng.randint(1, 2)),
    )


def write_patient(p: Patient, rng: random.Random, out: Path) -> list[dict[str, Any]]:
    folder = out / p.key
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        "key": p.key,
        "name": f"{p.first} {p.last}",
        "first_name": p.first,
        "last_name": p.last,
        "sex": p.sex,
        "dob": p.dob.isoformat(),
        "archetype": p.arch.key,
        "units": "SI" if p.si else "US",
    }
    (folder / "patient.json").write_text(json.dumps(info, indent=2))
    start = date(2025, rng.randint(1, 3), rng.randint(1, 28))
    docs = []
    for visit in range(2):
        when = start + timedelta(days=visit * rng.randint(60, 110))
        data, doc = lab_report(p, rng, when, visit, visit + 1)
        docs.append((f"{p.key.lower()}-{visit + 1}.pdf", data, doc))
    letter_when = docs[-1][2]["date"]
    lw = date.fromisoformat(letter_when) + timedelta(days=rng.randint(5, 15))
    lines, doc = letter(p, rng, lw, date.fromisoformat(letter_when))
    dpi = rng.choice([200, 250, 300])
    rot, blur, noise = rng.uniform(-2.0, 2.0), rng.uniform(0.5, 1.2), rng.uniform(4, 9)
    image = render.degrade(render.render_lines(lines, dpi, rng), rng, rot, blur, noise)
    doc.update(
        format="pdf_image",
        has_text_layer=False,
        pages=1,
        scan={
            "dpi": dpi,
            "rotation_deg": round(rot, 2),
            "blur": round(blur, 2),
            "noise": round(noise, 1),
        },
    )
    docs.append((f"{p.key.lower()}-3.pdf", render.image_pdf(image, dpi, rng.randint(60, 80)), doc))
    lines, doc = slip(p, rng, lw + timedelta(days=rng.randint(30, 60)))
    size = rng.choice([(1600, 1200), (1700, 1300), (2000, 1500)])
    img = render.render_lines(lines, 220, rng, width_in=6.0)
    rot, keystone = rng.uniform(-3, 3), rng.uniform(-0.06, 0.06)
    img = render.perspective(
        render.degrade(img, rng, rot, rng.uniform(0.6, 1.2), rng.uniform(4, 8)), keystone, size
    )
    fmt = rng.choice(["PNG", "JPEG"])
    doc["photo"] = {
        "pixels": list(size),
        "rotation_deg": round(rot, 2),
        "keystone": round(keystone, 3),
        "format": fmt,
    }
    docs.append(
        (
            f"{p.key.lower()}-4.{'png' if fmt == 'PNG' else 'jpg'}",
            render.image_bytes(img, fmt, rng.randint(70, 88)),
            doc,
        )
    )
    gold_docs = []
    for name, data, doc in docs:
        (folder / name).write_bytes(data)
        doc.update(file=f"{p.key}/{name}", patient=p.key, sha256=hashlib.sha256(data).hexdigest())
        for key in ("medications", "problems", "allergies"):
            doc.setdefault(key, [])
        doc.setdefault("follow_up", None)
        gold_docs.append(doc)
    return gold_docs


def split_of(patient_key: str) -> str:
    """The one fixed split: by a hash of the patient key (never re-drawn)."""
    return "tune" if hashlib.sha256(patient_key.encode()).digest()[0] % 2 == 0 else "test"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--patients", type=int, default=12)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    if args.patients < 1:
        parser.error("--patients must be at least 1")
    rng = random.Random(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    patients, documents = [], []
    for i in range(1, args.patients + 1):
        p = make_patient(i, rng)
        patients.append(
            {
                "key": p.key,
                "name": f"{p.first} {p.last}",
                "sex": p.sex,
                "dob": p.dob.isoformat(),
                "split": split_of(p.key),
            }
        )
        documents.extend(write_patient(p, rng, args.out))
    gold = {"synthetic": True, "seed": args.seed, "patients": patients, "documents": documents}
    (args.out / "gold.json").write_text(json.dumps(gold, indent=1))
    labs = sum(len(d["labs"]) for d in documents)
    print(
        f"{len(patients)} patients, {len(documents)} documents, {labs} gold lab results"
        f" -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
