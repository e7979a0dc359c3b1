# ruff: noqa: E501  (data table: one clinical concept per line)
"""Tests, treatments, procedures and anatomy terms (first term is the preferred name)."""

# type | terms
PROCEDURES = """
TEST_NAME|chest x-ray; chest x ray; chest xray; cxr; chest radiograph; chest film
TEST_NAME|x-ray; x ray; xray; radiograph; x-rays; x rays; plain film
TEST_NAME|ct scan; ct; cat scan; computed tomography; ct angiogram; cta; ct of the head; head ct
TEST_NAME|mri; magnetic resonance imaging; mri scan; mra
TEST_NAME|ultrasound; sonogram; ultrasound scan; doppler; duplex ultrasound
TEST_NAME|echocardiogram; echo; tte; tee; transthoracic echocardiogram; cardiac echo
TEST_NAME|electrocardiogram; ekg; ecg; 12 lead ekg; twelve lead ekg
TEST_NAME|stress test; treadmill test; nuclear stress test; cardiac stress test
TEST_NAME|holter monitor; event monitor; cardiac monitor
TEST_NAME|mammogram; mammography; screening mammogram; diagnostic mammogram
TEST_NAME|colonoscopy
TEST_NAME|endoscopy; egd; upper endoscopy; esophagogastroduodenoscopy
TEST_NAME|pap smear; pap test; pap
TEST_NAME|biopsy; skin biopsy; needle biopsy; core biopsy
TEST_NAME|bone density scan; dexa scan; dexa; dxa scan
TEST_NAME|pet scan; pet ct
TEST_NAME|pulmonary function test; pulmonary function tests; pfts; pft; spirometry
TEST_NAME|sleep study; polysomnography
TEST_NAME|eeg; electroencephalogram
TEST_NAME|emg; electromyography; nerve conduction study
TEST_NAME|lumbar puncture; spinal tap
TEST_NAME|blood work; bloodwork; blood tests; blood test; labs; lab work; laboratory tests
TEST_NAME|complete blood count; cbc
TEST_NAME|basic metabolic panel; bmp; chem 7
TEST_NAME|comprehensive metabolic panel; cmp
TEST_NAME|hemoglobin a1c; a1c; hba1c; glycated hemoglobin; hemoglobin a 1 c
TEST_NAME|lipid panel; lipid profile; cholesterol panel; fasting lipids
TEST_NAME|thyroid function tests; tsh; thyroid stimulating hormone; free t4; thyroid panel
TEST_NAME|liver function tests; lfts; lft; liver panel; liver enzymes
TEST_NAME|urinalysis; ua; urine test; urine dipstick
TEST_NAME|urine culture; blood cultures; blood culture; sputum culture; culture
TEST_NAME|troponin; troponins; cardiac enzymes
TEST_NAME|bnp; nt probnp; pro bnp; brain natriuretic peptide
TEST_NAME|d dimer; d-dimer
TEST_NAME|creatinine; serum creatinine; gfr; egfr; bun
TEST_NAME|hemoglobin; hgb; hematocrit; hct; platelet count; platelets; white blood cell count; wbc; white count
TEST_NAME|potassium level; sodium level; electrolytes; magnesium level
TEST_NAME|inr; pt inr; prothrombin time; ptt; coagulation studies
TEST_NAME|psa; prostate specific antigen
TEST_NAME|vitamin d level; b12 level; ferritin; iron studies
TEST_NAME|fasting glucose; glucose tolerance test; finger stick; fingerstick glucose
TEST_NAME|covid test; covid swab; pcr test; rapid strep test; strep test; flu swab; flu test
TEST_NAME|pregnancy test; urine pregnancy test; hcg
TEST_NAME|tuberculosis test; tb test; ppd; quantiferon
TEST_NAME|screening; cancer screening; screening test
TEST_NAME|physical exam; physical examination; exam; examination
TEST_NAME|ankle brachial index; abi
TEST_NAME|angiogram; cardiac catheterization; heart cath; cardiac cath; coronary angiography
TREATMENT_NAME|physical therapy; physiotherapy; occupational therapy
TREATMENT_NAME|cognitive behavioral therapy; cbt; counseling; therapy; psychotherapy
TREATMENT_NAME|chemotherapy; chemo; radiation therapy; radiation; radiotherapy; immunotherapy
TREATMENT_NAME|dialysis; hemodialysis
TREATMENT_NAME|oxygen therapy; supplemental oxygen; home oxygen; nebulizer treatments; nebulizer; breathing treatments
TREATMENT_NAME|cpap; bipap
TREATMENT_NAME|vaccination; vaccine; flu shot; flu vaccine; immunization; booster; tetanus shot; pneumonia vaccine; shingles vaccine
TREATMENT_NAME|injection; steroid injection; cortisone injection; cortisone shot; joint injection; epidural steroid injection
TREATMENT_NAME|iv fluids; intravenous fluids; fluids; fluid resuscitation
TREATMENT_NAME|blood transfusion; transfusion
TREATMENT_NAME|brace; splint; sling; knee brace; wrist splint; crutches
TREATMENT_NAME|ice packs; heating pad; elevation
TREATMENT_NAME|diet; low sodium diet; low salt diet; diabetic diet; weight loss program; exercise; exercise program; lifestyle modifications
TREATMENT_NAME|stitches; sutures; wound care; dressing changes
PROCEDURE_NAME|surgery; operation; procedure
PROCEDURE_NAME|appendectomy; cholecystectomy; gallbladder removal; hysterectomy; mastectomy; lumpectomy; tonsillectomy; prostatectomy
PROCEDURE_NAME|knee replacement; total knee replacement; total knee arthroplasty; tka; hip replacement; total hip replacement; total hip arthroplasty; tha; arthroplasty
PROCEDURE_NAME|arthroscopy; knee arthroscopy; acl reconstruction; rotator cuff repair
PROCEDURE_NAME|coronary artery bypass graft; cabg; bypass surgery; stent; stent placement; angioplasty; pci; percutaneous coronary intervention
PROCEDURE_NAME|pacemaker; pacemaker placement; defibrillator; icd placement; ablation; cardioversion
PROCEDURE_NAME|cesarean section; c section; c-section
PROCEDURE_NAME|hernia repair; carpal tunnel release; cataract surgery; spinal fusion; laminectomy; discectomy
PROCEDURE_NAME|incision and drainage; i&d; i and d; debridement; excision
PROCEDURE_NAME|intubation; mechanical ventilation; tracheostomy
PROCEDURE_NAME|kidney transplant; liver transplant; transplant
"""

ANATOMY = """
head; face; scalp; forehead; eye; eyes; ear; ears; nose; nasal; mouth; throat; tongue; teeth; jaw; lips; sinuses; tonsils
neck; cervical spine; c spine; thyroid; trachea
chest; chest wall; breast; breasts; lung; lungs; lung fields; heart; rib; ribs; sternum; axilla
abdomen; belly; stomach; epigastrium; liver; gallbladder; spleen; pancreas; kidney; kidneys; bladder; colon; bowel; intestine; small intestine; large intestine; rectum; esophagus; appendix; groin
back; lower back; upper back; spine; lumbar spine; thoracic spine; l spine; t spine; sacrum; coccyx; tailbone
pelvis; hip; hips; buttock; buttocks; prostate; uterus; ovary; ovaries; cervix; vagina; penis; testicle; testicles; scrotum
shoulder; shoulders; arm; arms; upper arm; forearm; elbow; elbows; wrist; wrists; hand; hands; finger; fingers; thumb; palm
leg; legs; thigh; thighs; knee; knees; calf; calves; shin; ankle; ankles; foot; feet; heel; toe; toes; big toe; lower extremity; lower extremities; upper extremity; upper extremities; extremities
skin; muscle; muscles; joint; joints; bone; bones; tendon; ligament; nerve; nerves; brain; blood vessels; artery; arteries; vein; veins; lymph nodes
lobe; upper lobe; middle lobe; lower lobe; lung base; lung bases; bases
coronary arteries; aorta; carotid; carotid artery; carotids; mitral valve; aortic valve; ventricle; left ventricle; atrium
meniscus; rotator cuff; achilles tendon; acl; plantar fascia
quadrant; right upper quadrant; left upper quadrant; right lower quadrant; left lower quadrant
"""

#: Words that may precede an anatomy term and belong to it ("right lower lobe", "left knee").
ANATOMY_MODIFIERS = frozenset(
    {
        "left",
        "right",
        "bilateral",
        "both",
        "upper",
        "lower",
        "middle",
        "anterior",
        "posterior",
        "lateral",
        "medial",
        "distal",
        "proximal",
    }
)
