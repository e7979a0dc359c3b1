# ruff: noqa: E501 - a data table reads best one analyte per line
"""Clinical archetypes for synthetic patient records: problems, medications and lab panels.

Everything here is invented for testing. Each analyte carries its own gold LOINC codes (written
here independently of the product's table), its units in US conventional and SI form, a normal
range in each, and the printed names labs use for it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lab:
    key: str
    canonical: str
    names: tuple[str, ...]  # printed names (the first is the plain one)
    us: tuple[
        str, str, str, float, float | None, float | None, int
    ]  # loinc, unit, ucum, normal, lo, hi, decimals
    si: tuple[str, str, str, float, float | None, float | None, int]
    accept: tuple[str, ...] = ()


def L(key: str, canonical: str, names: str, us: tuple, si: tuple, *accept: str) -> Lab:  # noqa: N802
    return Lab(key, canonical, tuple(names.split("|")), us, si, accept)


LABS: dict[str, Lab] = {
    lab.key: lab
    for lab in [
        L(
            "na",
            "Sodium",
            "Sodium|SODIUM|Na|Sodium, serum",
            ("2951-2", "mmol/L", "mmol/L", 139, 135, 145, 0),
            ("2951-2", "mmol/L", "mmol/L", 139, 135, 145, 0),
        ),
        L(
            "k",
            "Potassium",
            "Potassium|POTASSIUM|K+|Potassium, serum",
            ("2823-3", "mmol/L", "mmol/L", 4.3, 3.5, 5.1, 1),
            ("2823-3", "mmol/L", "mmol/L", 4.3, 3.5, 5.2, 1),
        ),
        L(
            "cl",
            "Chloride",
            "Chloride|CHLORIDE",
            ("2075-0", "mmol/L", "mmol/L", 103, 98, 107, 0),
            ("2075-0", "mmol/L", "mmol/L", 103, 95, 110, 0),
        ),
        L(
            "cr",
            "Creatinine",
            "Creatinine|CREATININE|Creatinine, serum|Creat",
            ("2160-0", "mg/dL", "mg/dL", 0.9, 0.6, 1.2, 2),
            ("14682-9", "umol/L", "umol/L", 80, 45, 110, 0),
            "2160-0",
            "14682-9",
        ),
        L(
            "urea",
            "Urea",
            "Urea|UREA|BUN|Urea Nitrogen",
            ("3094-0", "mg/dL", "mg/dL", 15, 7, 20, 0),
            ("22664-7", "mmol/L", "mmol/L", 5.5, 2.5, 7.8, 1),
            "3094-0",
            "22664-7",
            "3091-6",
            "6299-2",
        ),
        L(
            "egfr",
            "eGFR",
            "eGFR|EGFR|Estimated GFR|eGFR (CKD-EPI)",
            ("33914-3", "mL/min/1.73m2", "mL/min/{1.73_m2}", 85, 60, None, 0),
            ("33914-3", "mL/min/1.73m2", "mL/min/{1.73_m2}", 85, 60, None, 0),
            "33914-3",
            "62238-1",
            "98979-8",
            "48642-3",
            "69405-9",
        ),
        L(
            "glu",
            "Glucose",
            "Glucose|GLUCOSE|Glucose, fasting|Fasting Glucose",
            ("2345-7", "mg/dL", "mg/dL", 92, 70, 99, 0),
            ("14749-6", "mmol/L", "mmol/L", 5.1, 3.9, 5.5, 1),
            "2345-7",
            "14749-6",
            "1558-6",
            "14771-0",
        ),
        L(
            "a1c",
            "Hemoglobin A1c",
            "Hemoglobin A1c|HbA1c|HBA1C|Glycated Haemoglobin",
            ("4548-4", "%", "%", 5.4, 4.0, 5.6, 1),
            ("4548-4", "%", "%", 5.4, 4.0, 6.0, 1),
            "4548-4",
            "17856-6",
            "59261-8",
        ),
        L(
            "chol",
            "Cholesterol, total",
            "Cholesterol, Total|Total Cholesterol|CHOLESTEROL",
            ("2093-3", "mg/dL", "mg/dL", 185, None, 200, 0),
            ("14647-2", "mmol/L", "mmol/L", 4.8, None, 5.5, 1),
            "2093-3",
            "14647-2",
        ),
        L(
            "hdl",
            "HDL cholesterol",
            "HDL Cholesterol|HDL-C|HDL",
            ("2085-9", "mg/dL", "mg/dL", 52, 40, None, 0),
            ("14646-4", "mmol/L", "mmol/L", 1.3, 1.0, None, 2),
            "2085-9",
            "14646-4",
        ),
        L(
            "ldl",
            "LDL cholesterol",
            "LDL Cholesterol|LDL-C (calculated)|LDL CHOL CALC",
            ("13457-7", "mg/dL", "mg/dL", 110, None, 100, 0),
            ("39469-2", "mmol/L", "mmol/L", 2.8, None, 3.0, 1),
            "13457-7",
            "2089-1",
            "18262-6",
            "22748-8",
            "39469-2",
        ),
        L(
            "tg",
            "Triglycerides",
            "Triglycerides|TRIGLYCERIDE|Trig",
            ("2571-8", "mg/dL", "mg/dL", 130, None, 150, 0),
            ("14927-8", "mmol/L", "mmol/L", 1.4, None, 1.7, 1),
            "2571-8",
            "14927-8",
        ),
        L(
            "alt",
            "Alanine aminotransferase (ALT)",
            "ALT|ALT (SGPT)|Alanine Aminotransferase",
            ("1742-6", "U/L", "U/L", 24, 7, 40, 0),
            ("1742-6", "U/L", "U/L", 24, 5, 40, 0),
            "1742-6",
            "1743-4",
            "77144-6",
        ),
        L(
            "ast",
            "Aspartate aminotransferase (AST)",
            "AST|AST (SGOT)|Aspartate Aminotransferase",
            ("1920-8", "U/L", "U/L", 22, 10, 40, 0),
            ("1920-8", "U/L", "U/L", 22, 10, 40, 0),
            "1920-8",
            "30239-8",
        ),
        L(
            "alb",
            "Albumin",
            "Albumin|ALBUMIN",
            ("1751-7", "g/dL", "g/dL", 4.2, 3.5, 5.0, 1),
            ("1751-7", "g/L", "g/L", 42, 35, 50, 0),
            "1751-7",
            "61151-7",
        ),
        L(
            "hb",
            "Hemoglobin",
            "Hemoglobin|Haemoglobin|HGB|Hb",
            ("718-7", "g/dL", "g/dL", 14.0, 13.0, 17.0, 1),
            ("718-7", "g/L", "g/L", 140, 130, 170, 0),
            "718-7",
        ),
        L(
            "wbc",
            "Leukocytes (WBC count)",
            "WBC|White Blood Cells|White Cell Count",
            ("6690-2", "K/uL", "10*3/uL", 6.8, 4.0, 11.0, 1),
            ("6690-2", "x10^9/L", "10*9/L", 6.8, 4.0, 11.0, 1),
            "6690-2",
            "26464-8",
        ),
        L(
            "plt",
            "Platelets",
            "Platelets|Platelet Count|PLT",
            ("777-3", "K/uL", "10*3/uL", 250, 150, 400, 0),
            ("777-3", "x10^9/L", "10*9/L", 250, 150, 400, 0),
            "777-3",
            "26515-7",
        ),
        L(
            "tsh",
            "Thyrotropin (TSH)",
            "TSH|Thyroid Stimulating Hormone|TSH, 3rd generation",
            ("3016-3", "mIU/L", "m[IU]/L", 2.1, 0.4, 4.5, 2),
            ("3016-3", "mU/L", "m[IU]/L", 2.1, 0.4, 4.0, 2),
            "3016-3",
            "11580-8",
        ),
        L(
            "ft4",
            "Free thyroxine (free T4)",
            "Free T4|T4, Free|FT4",
            ("3024-7", "ng/dL", "ng/dL", 1.2, 0.8, 1.8, 2),
            ("14920-3", "pmol/L", "pmol/L", 15, 10, 22, 0),
            "3024-7",
            "14920-3",
        ),
        L(
            "ntbnp",
            "NT-proBNP",
            "NT-proBNP|NT-PRO BNP|N-terminal proBNP",
            ("33762-6", "pg/mL", "pg/mL", 90, None, 125, 0),
            ("33762-6", "ng/L", "ng/L", 90, None, 125, 0),
            "33762-6",
            "71425-3",
        ),
        L(
            "ferr",
            "Ferritin",
            "Ferritin|FERRITIN",
            ("2276-4", "ng/mL", "ng/mL", 80, 30, 300, 0),
            ("2276-4", "ug/L", "ug/L", 80, 30, 300, 0),
            "2276-4",
        ),
        L(
            "crp",
            "C-reactive protein (CRP)",
            "CRP|C-Reactive Protein",
            ("1988-5", "mg/L", "mg/L", 3, None, 5, 1),
            ("1988-5", "mg/L", "mg/L", 3, None, 5, 1),
            "1988-5",
            "30522-7",
        ),
        L(
            "inr",
            "INR",
            "INR|PT-INR",
            ("6301-6", "", "{INR}", 1.0, 0.9, 1.1, 1),
            ("6301-6", "", "{INR}", 1.0, 0.9, 1.1, 1),
            "6301-6",
            "34714-6",
        ),
    ]
}


@dataclass(frozen=True)
class Med:
    name: str
    dose: str
    frequency: str
    route: str = "oral"


@dataclass(frozen=True)
class Archetype:
    key: str
    problems: tuple[str, ...]
    meds: tuple[Med, ...]
    panel: tuple[str, ...]  # lab keys on the reports
    abnormal: dict[str, float]  # lab key -> multiple of the normal value at baseline
    trend: dict[str, float]  # lab key -> change per report (multiple)
    new_med: Med
    stopped_med: Med
    stop_reason: str


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "heart_failure",
        ("Heart failure with reduced ejection fraction", "Atrial fibrillation", "Hypertension"),
        (
            Med("furosemide", "40 mg", "once daily"),
            Med("bisoprolol", "5 mg", "once daily"),
            Med("apixaban", "5 mg", "twice daily"),
        ),
        ("na", "k", "cr", "urea", "egfr", "ntbnp", "hb"),
        {"ntbnp": 18.0, "cr": 1.4, "egfr": 0.55, "k": 1.15},
        {"ntbnp": 0.7, "cr": 0.95},
        Med("dapagliflozin", "10 mg", "once daily"),
        Med("spironolactone", "25 mg", "once daily"),
        "hyperkalaemia",
    ),
    Archetype(
        "diabetes",
        ("Type 2 diabetes mellitus", "Obesity", "Hyperlipidaemia"),
        (
            Med("metformin", "1000 mg", "twice daily"),
            Med("atorvastatin", "40 mg", "once daily"),
            Med("lisinopril", "10 mg", "once daily"),
        ),
        ("glu", "a1c", "cr", "egfr", "chol", "hdl", "ldl", "tg", "alt"),
        {"glu": 1.6, "a1c": 1.45, "tg": 1.5, "ldl": 1.2},
        {"a1c": 0.93, "glu": 0.9},
        Med("empagliflozin", "10 mg", "once daily"),
        Med("gliclazide", "80 mg", "twice daily"),
        "hypoglycaemia",
    ),
    Archetype(
        "copd",
        ("Chronic obstructive pulmonary disease", "Former smoker", "Osteoporosis"),
        (
            Med("tiotropium", "18 mcg", "once daily", "inhaled"),
            Med("salbutamol", "100 mcg, 2 puffs", "as needed", "inhaled"),
            Med("alendronate", "70 mg", "once weekly"),
        ),
        ("wbc", "hb", "plt", "crp", "na", "k"),
        {"crp": 4.0, "wbc": 1.5},
        {"crp": 0.6, "wbc": 0.85},
        Med("roflumilast", "500 mcg", "once daily"),
        Med("prednisolone", "30 mg", "once daily"),
        "exacerbation resolved",
    ),
    Archetype(
        "ckd",
        ("Chronic kidney disease stage 3b", "Hypertension", "Gout"),
        (
            Med("amlodipine", "10 mg", "once daily"),
            Med("allopurinol", "100 mg", "once daily"),
            Med("ramipril", "5 mg", "once daily"),
        ),
        ("cr", "urea", "egfr", "k", "na", "hb", "alb"),
        {"cr": 2.1, "urea": 2.0, "egfr": 0.45, "hb": 0.82},
        {"cr": 1.05, "egfr": 0.95},
        Med("ferrous sulfate", "200 mg", "once daily"),
        Med("naproxen", "500 mg", "twice daily"),
        "declining kidney function",
    ),
    Archetype(
        "hypothyroid",
        ("Primary hypothyroidism", "Iron deficiency", "Migraine"),
        (Med("levothyroxine", "100 mcg", "once daily"), Med("sumatriptan", "50 mg", "as needed")),
        ("tsh", "ft4", "hb", "ferr", "chol"),
        {"tsh": 3.2, "ft4": 0.7, "ferr": 0.3},
        {"tsh": 0.6, "ft4": 1.15},
        Med("ferrous fumarate", "210 mg", "once daily"),
        Med("biotin", "5000 mcg", "daily"),
        "interferes with thyroid tests",
    ),
    Archetype(
        "anticoagulated",
        ("Mechanical aortic valve", "Hypertension", "Hypothyroidism"),
        (
            Med("warfarin", "5 mg", "once daily"),
            Med("metoprolol", "50 mg", "twice daily"),
            Med("levothyroxine", "75 mcg", "once daily"),
        ),
        ("inr", "hb", "plt", "cr", "alt", "ast"),
        {"inr": 2.6},
        {"inr": 1.05},
        Med("pantoprazole", "40 mg", "once daily"),
        Med("aspirin", "100 mg", "once daily"),
        "bleeding risk",
    ),
)

ALLERGIES = (("Penicillin", "rash"), ("Sulfa drugs", "hives"), ("Codeine", "nausea and vomiting"),
             ("Latex", "contact dermatitis"), ("Iodinated contrast", "urticaria"), ("Amoxicillin", "angioedema"),
             ("Lisinopril", "cough"), ("Ibuprofen", "bronchospasm"))  # fmt: skip
FIRST = ("Orla", "Bram", "Tamsin", "Caspian", "Wilhelmina", "Ezra", "Perpetua", "Jory", "Isolde", "Fenwick",
         "Marisol", "Thorne", "Delphine", "Ansel", "Greer", "Lucan", "Ottoline", "Silas", "Briony", "Hale")  # fmt: skip
LAST = ("Quillbury", "Ashgrove", "Merriwether", "Tallowfield", "Brackenridge", "Fennimore", "Hollins-Vane",
        "Oakhurst", "Pennywhistle", "Starling-Rowe", "Wexcombe", "Duskwood", "Marchbank", "Thistleby")  # fmt: skip
LABS_NAMES = ("Harrowgate Pathology Services", "NORTHMERE DIAGNOSTIC LABORATORY", "Bluewater Clinical Laboratory",
              "St Aldric Hospital Biochemistry", "Pinecrest Reference Lab")  # fmt: skip
