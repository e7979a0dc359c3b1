"""Drug classes of the curated table, by generic name (as the drug lexicon spells it).

Membership follows standard pharmacology references (FDA prescribing information, BNF, the
FDA table of CYP substrates, inhibitors and inducers, the CredibleMeds known-risk QT list).
A rule names a class or a single drug, so a pair is found through class membership.
"""

from __future__ import annotations

from typing import Final


def _set(names: str) -> frozenset[str]:
    return frozenset(n.strip() for n in names.split(",") if n.strip())


CLASSES: Final[dict[str, frozenset[str]]] = {
    "nsaids": _set(
        "ibuprofen, naproxen, diclofenac, celecoxib, meloxicam, indomethacin, ketorolac, "
        "etodolac, nabumetone, piroxicam, ketoprofen, sulindac, flurbiprofen, oxaprozin"
    ),
    "antiplatelets": _set("aspirin, clopidogrel, prasugrel, ticagrelor, dipyridamole"),
    "anticoagulants": _set(
        "warfarin, apixaban, rivaroxaban, dabigatran, edoxaban, enoxaparin, heparin, dalteparin"
    ),
    "direct oral anticoagulants": _set("apixaban, rivaroxaban, dabigatran, edoxaban"),
    "ssris": _set("sertraline, fluoxetine, citalopram, escitalopram, paroxetine, fluvoxamine"),
    "snris": _set("venlafaxine, duloxetine, desvenlafaxine, milnacipran"),
    "maois": _set(
        "phenelzine, tranylcypromine, isocarboxazid, selegiline, rasagiline, linezolid, "
        "methylene blue"
    ),
    "serotonergic opioids": _set("tramadol, methadone, fentanyl, meperidine, tapentadol"),
    "triptans": _set(
        "sumatriptan, rizatriptan, zolmitriptan, eletriptan, naratriptan, almotriptan, frovatriptan"
    ),
    "ace inhibitors": _set(
        "lisinopril, enalapril, ramipril, captopril, benazepril, quinapril, perindopril, "
        "fosinopril, trandolapril, moexipril"
    ),
    "arbs": _set(
        "losartan, valsartan, irbesartan, candesartan, olmesartan, telmisartan, azilsartan"
    ),
    "potassium-sparing diuretics": _set("spironolactone, eplerenone, amiloride, triamterene"),
    "potassium supplements": _set("potassium chloride, potassium citrate, potassium bicarbonate"),
    "thiazide diuretics": _set("hydrochlorothiazide, chlorthalidone, indapamide, metolazone"),
    "loop diuretics": _set("furosemide, bumetanide, torsemide"),
    "statins": _set(
        "simvastatin, lovastatin, atorvastatin, rosuvastatin, pravastatin, pitavastatin, "
        "fluvastatin"
    ),
    "statins contraindicated with strong cyp3a4 inhibitors": _set("simvastatin, lovastatin"),
    "fibrates": _set("gemfibrozil, fenofibrate"),
    "strong cyp3a4 inhibitors": _set(
        "clarithromycin, erythromycin, itraconazole, ketoconazole, posaconazole, voriconazole, "
        "ritonavir, cobicistat, nefazodone"
    ),
    "moderate cyp3a4 inhibitors": _set("diltiazem, verapamil, fluconazole, dronedarone"),
    "p-gp inhibitors": _set(
        "amiodarone, verapamil, clarithromycin, erythromycin, quinidine, dronedarone, "
        "ketoconazole, itraconazole, cyclosporine, ritonavir"
    ),
    "cyp2c9 inhibitors": _set(
        "fluconazole, metronidazole, amiodarone, trimethoprim/sulfamethoxazole, "
        "sulfamethoxazole, miconazole, voriconazole"
    ),
    "cyp1a2 inhibitors": _set("ciprofloxacin, fluvoxamine, enoxacin"),
    "enzyme inducers": _set(
        "rifampin, rifabutin, carbamazepine, phenytoin, phenobarbital, primidone, "
        "st. john's wort, oxcarbazepine"
    ),
    "opioids": _set(
        "oxycodone, hydrocodone, morphine, codeine, fentanyl, tramadol, methadone, "
        "hydromorphone, buprenorphine, tapentadol, oxymorphone, meperidine"
    ),
    "benzodiazepines": _set(
        "alprazolam, lorazepam, diazepam, clonazepam, temazepam, midazolam, chlordiazepoxide, "
        "triazolam, oxazepam"
    ),
    "cyp3a4-dependent benzodiazepines": _set("alprazolam, midazolam, triazolam"),
    "qt-prolonging drugs": _set(
        "citalopram, escitalopram, ondansetron, azithromycin, clarithromycin, erythromycin, "
        "levofloxacin, moxifloxacin, ciprofloxacin, amiodarone, sotalol, dofetilide, "
        "haloperidol, methadone, droperidol, chlorpromazine, thioridazine, quinidine, "
        "dronedarone, pimozide, domperidone, fluconazole, hydroxychloroquine, procainamide"
    ),
    "pde5 inhibitors": _set("sildenafil, tadalafil, vardenafil, avanafil"),
    "nitrates": _set("nitroglycerin, isosorbide mononitrate, isosorbide dinitrate, amyl nitrite"),
    "alpha blockers": _set("tamsulosin, alfuzosin, doxazosin, terazosin, silodosin, prazosin"),
    "cyp2c19-inhibiting ppis": _set("omeprazole, esomeprazole"),
    "ppis": _set("omeprazole, esomeprazole, pantoprazole, lansoprazole, rabeprazole"),
    "xanthine oxidase inhibitors": _set("allopurinol, febuxostat"),
    "thiopurines": _set("azathioprine, mercaptopurine"),
    "iodinated contrast": _set("iohexol, iopamidol, iodixanol, ioversol, iopromide"),
    "hormonal contraceptives": _set(
        "ethinyl estradiol, levonorgestrel, norethindrone, desogestrel, drospirenone, "
        "norgestimate, etonogestrel"
    ),
    "trimethoprim-containing": _set("trimethoprim, trimethoprim/sulfamethoxazole"),
    "calcineurin inhibitors": _set("cyclosporine, tacrolimus, sirolimus, everolimus"),
    "strong cyp2d6 inhibitors": _set("fluoxetine, paroxetine, bupropion, quinidine, terbinafine"),
    "cyp2d6-activated opioids": _set("codeine, tramadol"),
    "cyp3a4-dependent opioids": _set("fentanyl, oxycodone, hydrocodone, methadone"),
    "gabapentinoids": _set("gabapentin, pregabalin"),
    "corticosteroids": _set(
        "prednisone, prednisolone, methylprednisolone, dexamethasone, hydrocortisone"
    ),
    "polyvalent cations": _set(
        "antacids, calcium carbonate, ferrous sulfate, ferrous gluconate, aluminum hydroxide, "
        "magnesium hydroxide, magnesium oxide, sucralfate, sevelamer, calcium acetate"
    ),
    "retinoids": _set("isotretinoin, acitretin"),
    "insulin and sulfonylureas": _set(
        "insulin, insulin glargine, insulin lispro, insulin aspart, insulin detemir, "
        "insulin degludec, glipizide, glyburide, glimepiride, gliclazide"
    ),
    "vitamin k": _set("vitamin k, phytonadione"),
    "beta blockers": _set(
        "metoprolol, atenolol, carvedilol, propranolol, bisoprolol, nebivolol, labetalol, nadolol"
    ),
    "non-dihydropyridine calcium channel blockers": _set("diltiazem, verapamil"),
    "calcium channel blockers": _set("amlodipine, nifedipine, felodipine, diltiazem, verapamil"),
    "sulfonylureas": _set("glipizide, glyburide, glimepiride, gliclazide"),
    "penicillins": _set(
        "penicillins, penicillin, penicillin v, phenoxymethylpenicillin, penicillin g, "
        "benzylpenicillin, amoxicillin, ampicillin, piperacillin, dicloxacillin, nafcillin, "
        "oxacillin, flucloxacillin"
    ),
    "cephalosporins": _set(
        "cephalexin, cefazolin, ceftriaxone, cefuroxime, cefdinir, cefepime, cefpodoxime, "
        "cefadroxil, cefixime, ceftazidime, cefotaxime"
    ),
    "carbapenems": _set("meropenem, imipenem, ertapenem"),
    "sulfonamide antibiotics": _set(
        "sulfamethoxazole, trimethoprim/sulfamethoxazole, sulfadiazine"
    ),
    "macrolides": _set("azithromycin, clarithromycin, erythromycin"),
    "fluoroquinolones": _set("ciprofloxacin, levofloxacin, moxifloxacin, ofloxacin"),
    "tetracyclines": _set("doxycycline, minocycline, tetracycline"),
}

# Classes where two members at once are usually an error (duplicate therapy), with severity
# names; the interaction-oriented classes (CYP inhibitors, QT) are not therapeutic classes.
DUPLICATE_CLASSES: Final[dict[str, str]] = {
    "nsaids": "major",
    "anticoagulants": "major",
    "ssris": "major",
    "snris": "major",
    "ace inhibitors": "moderate",
    "arbs": "moderate",
    "statins": "moderate",
    "ppis": "moderate",
    "benzodiazepines": "moderate",
    "opioids": "moderate",
    "beta blockers": "moderate",
    "sulfonylureas": "moderate",
    "thiazide diuretics": "minor",
    "loop diuretics": "moderate",
    "macrolides": "moderate",
    "fluoroquinolones": "moderate",
    "penicillins": "moderate",
    "cephalosporins": "moderate",
    "tetracyclines": "moderate",
    "triptans": "moderate",
}

# Allergy classes: an allergy to a class (or to one member) flags every member.
ALLERGY_CLASSES: Final = (
    "penicillins",
    "cephalosporins",
    "carbapenems",
    "sulfonamide antibiotics",
    "macrolides",
    "fluoroquinolones",
    "tetracyclines",
    "nsaids",
    "opioids",
    "ace inhibitors",
)
# Cross-reactivity between allergy classes: (allergy class, drug class, severity, why).
CROSS_REACTIVE: Final = (
    ("penicillins", "cephalosporins", "moderate", "beta-lactam cross-reactivity (about 1-2%)"),
    ("penicillins", "carbapenems", "minor", "beta-lactam cross-reactivity (under 1%)"),
    ("cephalosporins", "penicillins", "moderate", "beta-lactam cross-reactivity"),
    ("aspirin", "nsaids", "major", "cross-sensitivity through COX-1 inhibition"),
)
# Ways a list entry or an allergy names a class rather than one drug ("SSRI", "sulfa").
CLASS_ALIASES: Final[dict[str, str]] = {
    "penicillin": "penicillins",
    "penicillins": "penicillins",
    "pcn": "penicillins",
    "beta-lactams": "penicillins",
    "cephalosporin": "cephalosporins",
    "cephalosporins": "cephalosporins",
    "sulfa": "sulfonamide antibiotics",
    "sulfa drugs": "sulfonamide antibiotics",
    "sulfonamides": "sulfonamide antibiotics",
    "macrolide": "macrolides",
    "macrolides": "macrolides",
    "quinolones": "fluoroquinolones",
    "fluoroquinolones": "fluoroquinolones",
    "nsaid": "nsaids",
    "nsaids": "nsaids",
    "opiates": "opioids",
    "opioids": "opioids",
    "ace inhibitor": "ace inhibitors",
    "ace inhibitors": "ace inhibitors",
    "tetracyclines": "tetracyclines",
    "carbapenems": "carbapenems",
    "ssri": "ssris",
    "ssris": "ssris",
    "snri": "snris",
    "snris": "snris",
    "maoi": "maois",
    "maois": "maois",
    "oral contraceptive": "hormonal contraceptives",
    "oral contraceptives": "hormonal contraceptives",
    "ocp": "hormonal contraceptives",
    "birth control pill": "hormonal contraceptives",
    "birth control pills": "hormonal contraceptives",
    "beta blocker": "beta blockers",
    "beta blockers": "beta blockers",
    "thiazide": "thiazide diuretics",
    "loop diuretic": "loop diuretics",
    "potassium-sparing diuretic": "potassium-sparing diuretics",
    "statin": "statins",
    "statins": "statins",
    "ppi": "ppis",
    "ppis": "ppis",
    "proton pump inhibitor": "ppis",
    "proton pump inhibitors": "ppis",
    "opioid": "opioids",
    "opiate": "opioids",
    "anticoagulant": "anticoagulants",
    "anticoagulants": "anticoagulants",
    "alpha blocker": "alpha blockers",
    "corticosteroid": "corticosteroids",
    "corticosteroids": "corticosteroids",
    "steroids": "corticosteroids",
    "fluoroquinolone": "fluoroquinolones",
    "nitrate": "nitrates",
    "nitrates": "nitrates",
    "benzodiazepine": "benzodiazepines",
    "benzodiazepines": "benzodiazepines",
    "triptan": "triptans",
    "triptans": "triptans",
}


def classes_of(generic: str) -> frozenset[str]:
    """Every class the generic name belongs to."""
    return _MEMBERSHIP.get(generic, frozenset())


def _membership() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for cls, members in CLASSES.items():
        for member in members:
            out.setdefault(member, set()).add(cls)
    return {k: frozenset(v) for k, v in out.items()}


_MEMBERSHIP: Final = _membership()
