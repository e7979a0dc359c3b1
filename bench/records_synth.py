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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import records_render as render
from records_archetypes import ALLERGIES, ARCHETYPES, FIRST, LABS_NAMES, LAST
from records_docs import LAYOUTS, Patient, lab_report, letter, slip


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
