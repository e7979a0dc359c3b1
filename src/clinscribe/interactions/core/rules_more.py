"""Curated rules, continued: CNS, anticonvulsant, transplant, absorption and CYP2D6/1A2 rules.

Same sources and caveats as ``rules.py``; kept apart only to keep modules short.
"""

from __future__ import annotations

from typing import Final

from clinscribe.interactions.core.rules import Rule

_FDA = "FDA prescribing information"
_CYP3A4 = "raised exposure through strong CYP3A4 inhibition"
_CHELATE = "Reduced absorption: chelation with di- and trivalent cations; separate the doses."

_TABLE: Final = (
    ("simvastatin", "amlodipine", "moderate", "Myopathy: simvastatin at most 20 mg daily.", _FDA),
    ("lovastatin", "amlodipine", "minor", "Raised lovastatin exposure (CYP3A4).", _FDA),
    (
        "tamoxifen",
        "strong cyp2d6 inhibitors",
        "major",
        "Reduced tamoxifen efficacy: less conversion to endoxifen (CYP2D6).",
        _FDA + " (tamoxifen)",
    ),
    (
        "cyp2d6-activated opioids",
        "strong cyp2d6 inhibitors",
        "moderate",
        "Reduced analgesia: less activation to the active opioid (CYP2D6).",
        _FDA,
    ),
    (
        "clozapine",
        "cyp1a2 inhibitors",
        "major",
        "Clozapine toxicity (seizures, hypotension) through CYP1A2 inhibition.",
        _FDA + " (clozapine)",
    ),
    (
        "clozapine",
        "enzyme inducers",
        "major",
        "Loss of clozapine effect; carbamazepine adds marrow suppression.",
        _FDA + " (clozapine)",
    ),
    ("olanzapine", "cyp1a2 inhibitors", "moderate", "Raised olanzapine exposure (CYP1A2).", _FDA),
    ("duloxetine", "cyp1a2 inhibitors", "major", "Raised duloxetine exposure (CYP1A2).", _FDA),
    (
        "tizanidine",
        "cyp1a2 inhibitors",
        "contraindicated",
        "Severe hypotension and sedation: tizanidine exposure rises many-fold (CYP1A2).",
        _FDA + " (tizanidine)",
    ),
    ("quetiapine", "strong cyp3a4 inhibitors", "major", "Quetiapine toxicity, " + _CYP3A4, _FDA),
    ("quetiapine", "enzyme inducers", "moderate", "Loss of quetiapine effect (CYP3A4).", _FDA),
    ("trazodone", "strong cyp3a4 inhibitors", "moderate", "Sedation, QT: " + _CYP3A4, _FDA),
    (
        "lamotrigine",
        "valproic acid",
        "major",
        "Serious rash (SJS/TEN): valproate doubles lamotrigine levels; halve the lamotrigine dose.",
        _FDA + " (lamotrigine)",
    ),
    ("valproic acid", "enzyme inducers", "moderate", "Lower valproate levels (induction).", _FDA),
    ("phenytoin", "cyp2c9 inhibitors", "major", "Phenytoin toxicity (CYP2C9 inhibition).", _FDA),
    ("phenytoin", "isoniazid", "major", "Phenytoin toxicity (CYP2C19/2C9 inhibition).", _FDA),
    (
        "ergotamine",
        "strong cyp3a4 inhibitors",
        "contraindicated",
        "Ergotism, vasospasm and ischaemia: " + _CYP3A4 + ".",
        _FDA + " (ergotamine)",
    ),
    (
        "pde5 inhibitors",
        "strong cyp3a4 inhibitors",
        "major",
        "Hypotension, priapism: " + _CYP3A4 + ".",
        _FDA,
    ),
    (
        "cyp3a4-dependent opioids",
        "strong cyp3a4 inhibitors",
        "major",
        "Fatal respiratory depression: " + _CYP3A4 + ".",
        "FDA boxed warning (fentanyl, oxycodone)",
    ),
    (
        "ranolazine",
        "strong cyp3a4 inhibitors",
        "contraindicated",
        "QT prolongation: " + _CYP3A4 + ".",
        _FDA + " (ranolazine)",
    ),
    (
        "ivabradine",
        "strong cyp3a4 inhibitors",
        "contraindicated",
        "Bradycardia: " + _CYP3A4 + ".",
        _FDA + " (ivabradine)",
    ),
    (
        "ivabradine",
        "non-dihydropyridine calcium channel blockers",
        "major",
        "Bradycardia: added rate slowing and CYP3A4 inhibition.",
        _FDA + " (ivabradine)",
    ),
    (
        "dabigatran",
        "p-gp inhibitors",
        "major",
        "Bleeding: P-gp inhibition raises dabigatran.",
        _FDA + " (dabigatran)",
    ),
    ("bupropion", "maois", "contraindicated", "Hypertensive reaction.", _FDA + " (bupropion)"),
    ("dextromethorphan", "maois", "contraindicated", "Serotonin syndrome.", _FDA),
    ("dextromethorphan", "ssris", "moderate", "Serotonin syndrome risk.", _FDA),
    ("lithium", "ssris", "moderate", "Serotonin syndrome risk.", _FDA + " (lithium)"),
    ("metoclopramide", "levodopa", "major", "Opposed dopamine effects: worse parkinsonism.", _FDA),
    ("methotrexate", "penicillins", "moderate", "Reduced methotrexate renal clearance.", _FDA),
    ("methotrexate", "probenecid", "major", "Methotrexate toxicity (reduced clearance).", _FDA),
    ("theophylline", "erythromycin", "moderate", "Raised theophylline levels.", _FDA),
    ("theophylline", "cimetidine", "moderate", "Raised theophylline levels (CYP1A2).", _FDA),
    ("levothyroxine", "polyvalent cations", "moderate", _CHELATE, _FDA + " (levothyroxine)"),
    ("levothyroxine", "ppis", "minor", "Reduced levothyroxine absorption (gastric pH).", _FDA),
    ("fluoroquinolones", "polyvalent cations", "moderate", _CHELATE, _FDA),
    ("tetracyclines", "polyvalent cations", "moderate", _CHELATE, _FDA),
    (
        "tetracyclines",
        "retinoids",
        "contraindicated",
        "Idiopathic intracranial hypertension.",
        _FDA + " (isotretinoin)",
    ),
    ("corticosteroids", "nsaids", "moderate", "GI ulceration and bleeding.", _FDA),
    ("corticosteroids", "fluoroquinolones", "moderate", "Tendon rupture risk.", _FDA),
    ("calcineurin inhibitors", "nsaids", "moderate", "Additive nephrotoxicity.", _FDA),
    ("warfarin", "tamoxifen", "major", "Raised INR and bleeding.", _FDA + " (tamoxifen)"),
    ("warfarin", "chloramphenicol", "major", "Raised INR (CYP2C9 inhibition).", _FDA),
    (
        "warfarin",
        "vitamin k",
        "major",
        "Vitamin K reverses warfarin: loss of anticoagulation; keep intake steady.",
        _FDA + " (warfarin)",
    ),
    (
        "anticoagulants",
        "ginkgo biloba",
        "moderate",
        "Bleeding risk (antiplatelet effect).",
        "NIH NCCIH herb monographs",
    ),
    ("anticoagulants", "fish oil", "minor", "Possible added bleeding at high doses.", _FDA),
    ("st. john's wort", "ssris", "major", "Serotonin syndrome risk.", _FDA),
    ("warfarin", "acetaminophen", "minor", "Regular acetaminophen raises INR.", _FDA),
    (
        "opioids",
        "gabapentinoids",
        "major",
        "Respiratory depression.",
        "FDA safety communication (2019)",
    ),
    (
        "aspirin",
        "nsaids",
        "moderate",
        "NSAIDs can block aspirin's antiplatelet effect and add GI bleeding risk.",
        _FDA,
    ),
    (
        "ticagrelor",
        "aspirin",
        "minor",
        "Aspirin above 100 mg daily lowers ticagrelor's efficacy.",
        _FDA + " (ticagrelor)",
    ),
    (
        "insulin and sulfonylureas",
        "beta blockers",
        "minor",
        "Beta blockers mask the warning signs of hypoglycaemia.",
        _FDA,
    ),
    ("clonidine", "beta blockers", "moderate", "Rebound hypertension when clonidine stops.", _FDA),
)

MORE_RULES: Final[tuple[Rule, ...]] = tuple(Rule(*row) for row in _TABLE)
