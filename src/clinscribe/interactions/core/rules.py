"""The curated drug-drug rules: a class or a drug on each side, severity, mechanism, reference.

Written from public clinical pharmacology references (US FDA prescribing information and
boxed warnings, BNF appendix 1, the FDA table of CYP inhibitors and inducers, CredibleMeds'
known-risk QT list). It covers common, well-established interactions only: a site should plug
a full knowledge base (see ``InteractionSource``) for production use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Rule:
    a: str  # a class name from classes.CLASSES or a generic drug name
    b: str
    severity: str
    mechanism: str
    reference: str


_FDA = "FDA prescribing information"
_BNF = "BNF appendix 1"
_QT = "CredibleMeds known-risk QT list"
_BLEED = "Additive bleeding risk (anticoagulant with antiplatelet or NSAID effect)."
_SEROTONIN = "Serotonin syndrome risk from combined serotonergic effects."
_SERO_MAO = "Serotonin syndrome, potentially fatal: serotonergic drug with MAO inhibition."
_SEROTONIN_OPIOID = (
    _SEROTONIN
    + " Tramadol also lowers the seizure threshold; CYP2D6 inhibitors alter its activation."
)
_K = "Hyperkalaemia from combined potassium retention."
_LITHIUM = "Lithium toxicity from reduced renal lithium clearance."
_MYOPATHY = "Myopathy and rhabdomyolysis from raised statin exposure (CYP3A4 inhibition)."

RULES: Final[tuple[Rule, ...]] = (
    Rule("anticoagulants", "nsaids", "major", _BLEED + " NSAIDs also injure GI mucosa.", _FDA),
    Rule("anticoagulants", "antiplatelets", "major", _BLEED, _FDA),
    Rule(
        "anticoagulants",
        "ssris",
        "moderate",
        "Bleeding risk: SSRIs deplete platelet serotonin.",
        _FDA,
    ),
    Rule(
        "anticoagulants",
        "snris",
        "moderate",
        "Bleeding risk: SNRIs impair platelet function.",
        _FDA,
    ),
    Rule(
        "warfarin",
        "cyp2c9 inhibitors",
        "major",
        "Raised INR and bleeding: inhibition of CYP2C9, the main route of S-warfarin metabolism.",
        _FDA + " (warfarin)",
    ),
    Rule(
        "warfarin",
        "enzyme inducers",
        "major",
        "Reduced anticoagulation: induction of warfarin metabolism (CYP2C9/CYP3A4).",
        _FDA + " (warfarin)",
    ),
    Rule(
        "direct oral anticoagulants",
        "strong cyp3a4 inhibitors",
        "major",
        "Raised anticoagulant exposure and bleeding (combined CYP3A4 and P-gp inhibition).",
        _FDA,
    ),
    Rule(
        "direct oral anticoagulants",
        "enzyme inducers",
        "major",
        "Reduced anticoagulant exposure and thrombosis risk (CYP3A4/P-gp induction).",
        _FDA,
    ),
    Rule(
        "ssris",
        "nsaids",
        "moderate",
        "Upper GI bleeding risk: SSRI platelet effect with NSAID mucosal injury.",
        _FDA + " (SSRIs)",
    ),
    Rule("snris", "nsaids", "moderate", "Bleeding risk: SNRI platelet effect with NSAID.", _FDA),
    Rule(
        "ssris", "antiplatelets", "moderate", "Bleeding risk: additive platelet inhibition.", _FDA
    ),
    Rule("ssris", "maois", "contraindicated", _SERO_MAO, _FDA + " (SSRIs)"),
    Rule("snris", "maois", "contraindicated", _SERO_MAO, _FDA + " (SNRIs)"),
    Rule("serotonergic opioids", "maois", "contraindicated", _SERO_MAO, _FDA),
    Rule(
        "triptans",
        "maois",
        "contraindicated",
        _SERO_MAO + " MAO-A also clears triptans.",
        _FDA + " (triptans)",
    ),
    Rule("ssris", "serotonergic opioids", "major", _SEROTONIN_OPIOID, _FDA + " (tramadol)"),
    Rule("snris", "serotonergic opioids", "major", _SEROTONIN_OPIOID, _FDA + " (tramadol)"),
    Rule("ssris", "triptans", "moderate", _SEROTONIN, _FDA + " (triptans)"),
    Rule("snris", "triptans", "moderate", _SEROTONIN, _FDA + " (triptans)"),
    Rule("ssris", "snris", "major", _SEROTONIN, _FDA),
    Rule("ace inhibitors", "potassium-sparing diuretics", "major", _K, _FDA),
    Rule("arbs", "potassium-sparing diuretics", "major", _K, _FDA),
    Rule("ace inhibitors", "potassium supplements", "moderate", _K, _FDA),
    Rule("arbs", "potassium supplements", "moderate", _K, _FDA),
    Rule("potassium-sparing diuretics", "potassium supplements", "major", _K, _FDA),
    Rule(
        "potassium-sparing diuretics",
        "trimethoprim-containing",
        "major",
        _K + " Trimethoprim blocks the distal tubule sodium channel like amiloride.",
        _BNF,
    ),
    Rule("ace inhibitors", "trimethoprim-containing", "moderate", _K, _BNF),
    Rule("arbs", "trimethoprim-containing", "moderate", _K, _BNF),
    Rule(
        "ace inhibitors",
        "arbs",
        "major",
        "Dual renin-angiotensin blockade: hyperkalaemia, hypotension and acute kidney injury.",
        _FDA,
    ),
    Rule(
        "ace inhibitors",
        "nsaids",
        "moderate",
        "Reduced antihypertensive effect and risk of "
        "acute kidney injury (renal prostaglandin inhibition).",
        _FDA,
    ),
    Rule(
        "arbs",
        "nsaids",
        "moderate",
        "Reduced antihypertensive effect and risk of acute "
        "kidney injury (renal prostaglandin inhibition).",
        _FDA,
    ),
    Rule("lithium", "ace inhibitors", "major", _LITHIUM, _FDA + " (lithium)"),
    Rule("lithium", "arbs", "major", _LITHIUM, _FDA + " (lithium)"),
    Rule("lithium", "thiazide diuretics", "major", _LITHIUM, _FDA + " (lithium)"),
    Rule("lithium", "nsaids", "major", _LITHIUM, _FDA + " (lithium)"),
    Rule("lithium", "loop diuretics", "moderate", _LITHIUM, _FDA + " (lithium)"),
    Rule(
        "statins contraindicated with strong cyp3a4 inhibitors",
        "strong cyp3a4 inhibitors",
        "contraindicated",
        _MYOPATHY,
        _FDA + " (simvastatin, lovastatin)",
    ),
    Rule("atorvastatin", "strong cyp3a4 inhibitors", "major", _MYOPATHY, _FDA + " (atorvastatin)"),
    Rule(
        "statins contraindicated with strong cyp3a4 inhibitors",
        "moderate cyp3a4 inhibitors",
        "major",
        _MYOPATHY + " Dose limits apply.",
        _FDA + " (simvastatin, lovastatin)",
    ),
    Rule(
        "statins contraindicated with strong cyp3a4 inhibitors",
        "amiodarone",
        "major",
        _MYOPATHY + " Simvastatin at most 20 mg daily.",
        _FDA + " (simvastatin)",
    ),
    Rule(
        "statins contraindicated with strong cyp3a4 inhibitors",
        "gemfibrozil",
        "contraindicated",
        "Myopathy: gemfibrozil inhibits statin glucuronidation and uptake.",
        _FDA + " (simvastatin)",
    ),
    Rule("statins", "gemfibrozil", "major", "Myopathy and rhabdomyolysis risk.", _FDA),
    Rule("statins", "cyclosporine", "major", "Raised statin exposure (OATP1B1/CYP3A4).", _FDA),
    Rule(
        "clopidogrel",
        "cyp2c19-inhibiting ppis",
        "major",
        "Reduced clopidogrel activation through CYP2C19 inhibition; lower antiplatelet effect.",
        _FDA + " (clopidogrel)",
    ),
    Rule(
        "methotrexate",
        "trimethoprim-containing",
        "major",
        "Bone marrow suppression: additive antifolate effect and reduced methotrexate clearance.",
        _FDA,
    ),
    Rule(
        "methotrexate",
        "nsaids",
        "moderate",
        "Reduced methotrexate clearance and toxicity.",
        _FDA + " (methotrexate)",
    ),
    Rule("methotrexate", "ppis", "minor", "Reduced methotrexate clearance at high doses.", _FDA),
    Rule(
        "pde5 inhibitors",
        "nitrates",
        "contraindicated",
        "Severe hypotension from additive nitric oxide-cGMP vasodilation.",
        _FDA + " (PDE5 inhibitors)",
    ),
    Rule("pde5 inhibitors", "alpha blockers", "moderate", "Symptomatic hypotension.", _FDA),
    Rule(
        "digoxin",
        "p-gp inhibitors",
        "major",
        "Digoxin toxicity: P-glycoprotein inhibition raises digoxin levels.",
        _FDA + " (digoxin)",
    ),
    Rule("digoxin", "loop diuretics", "moderate", "Hypokalaemia raises digoxin toxicity.", _FDA),
    Rule(
        "digoxin", "thiazide diuretics", "moderate", "Hypokalaemia raises digoxin toxicity.", _FDA
    ),
    Rule(
        "opioids",
        "benzodiazepines",
        "major",
        "Profound sedation, respiratory depression, coma and death (FDA boxed warning).",
        "FDA boxed warning (2016)",
    ),
    Rule(
        "qt-prolonging drugs",
        "qt-prolonging drugs",
        "major",
        "Additive QT prolongation: torsades de pointes risk.",
        _QT,
    ),
    Rule(
        "xanthine oxidase inhibitors",
        "thiopurines",
        "major",
        "Thiopurine toxicity (marrow "
        "suppression): xanthine oxidase clears azathioprine and mercaptopurine.",
        _FDA,
    ),
    Rule(
        "theophylline",
        "cyp1a2 inhibitors",
        "major",
        "Theophylline toxicity (seizures, arrhythmia) through CYP1A2 inhibition.",
        _FDA + " (ciprofloxacin)",
    ),
    Rule(
        "metformin",
        "iodinated contrast",
        "moderate",
        "Lactic acidosis if contrast causes "
        "acute kidney injury; hold metformin around the procedure.",
        _FDA + " (metformin)",
    ),
    Rule(
        "enzyme inducers",
        "hormonal contraceptives",
        "major",
        "Contraceptive failure: CYP3A4 induction lowers hormone levels.",
        _FDA,
    ),
    Rule(
        "colchicine",
        "strong cyp3a4 inhibitors",
        "major",
        "Colchicine toxicity, fatal cases reported (CYP3A4 and P-gp inhibition).",
        _FDA + " (colchicine)",
    ),
    Rule("colchicine", "p-gp inhibitors", "major", "Colchicine toxicity (P-gp inhibition).", _FDA),
    Rule(
        "alpha blockers",
        "strong cyp3a4 inhibitors",
        "moderate",
        "Raised alpha-blocker exposure and hypotension (CYP3A4 inhibition).",
        _FDA + " (tamsulosin)",
    ),
    Rule(
        "cyp3a4-dependent benzodiazepines",
        "strong cyp3a4 inhibitors",
        "major",
        "Prolonged sedation and respiratory depression (CYP3A4 inhibition).",
        _FDA,
    ),
    Rule(
        "calcineurin inhibitors",
        "strong cyp3a4 inhibitors",
        "major",
        "Calcineurin inhibitor toxicity (nephrotoxicity) through CYP3A4 inhibition.",
        _FDA,
    ),
    Rule(
        "calcineurin inhibitors",
        "enzyme inducers",
        "major",
        "Loss of immunosuppression (CYP3A4 induction): rejection risk.",
        _FDA,
    ),
    Rule(
        "beta blockers",
        "non-dihydropyridine calcium channel blockers",
        "moderate",
        "Bradycardia, AV block and heart failure from additive negative chronotropy.",
        _BNF,
    ),
    Rule("amiodarone", "beta blockers", "moderate", "Bradycardia and AV block.", _FDA),
    Rule(
        "clarithromycin",
        "calcium channel blockers",
        "moderate",
        "Hypotension from raised calcium channel blocker exposure (CYP3A4).",
        _FDA,
    ),
    Rule(
        "sulfonylureas",
        "cyp2c9 inhibitors",
        "moderate",
        "Hypoglycaemia: CYP2C9 inhibition raises sulfonylurea exposure.",
        _FDA,
    ),
    Rule(
        "spironolactone",
        "digoxin",
        "minor",
        "Spironolactone may raise digoxin levels and interfere with assays.",
        _FDA,
    ),
)
