# ruff: noqa: E501  (data table: one clinical concept per line)
"""Condition lexicon: ICD-10-CM code | trait (D diagnosis, S symptom, G sign) | terms.

The first term is the preferred name; the rest are clinical synonyms, abbreviations and
lay phrasings. Codes are the usual default code for the unqualified term.
"""

CONDITIONS = """
I10|D|hypertension; htn; high blood pressure; elevated blood pressure; essential hypertension; hypertensive
E11.9|D|type 2 diabetes; dm2; t2dm; dm 2; dm type 2; type ii diabetes; type two diabetes; diabetes type 2; diabetes type two; diabetes mellitus type 2; type 2 diabetes mellitus; niddm; adult onset diabetes
E10.9|D|type 1 diabetes; dm1; t1dm; type i diabetes; type one diabetes; diabetes type 1; type 1 diabetes mellitus; iddm; juvenile diabetes
E11.9|D|diabetes; diabetes mellitus; dm; diabetic; sugar diabetes
R73.03|D|prediabetes; pre diabetes; borderline diabetes
E11.65|D|uncontrolled diabetes; poorly controlled diabetes; hyperglycemia
E16.2|D|hypoglycemia; low blood sugar
E78.5|D|hyperlipidemia; hld; high cholesterol; dyslipidemia; elevated cholesterol; hypercholesterolemia; high lipids
E03.9|D|hypothyroidism; underactive thyroid; low thyroid
E05.90|D|hyperthyroidism; overactive thyroid; graves disease
E66.9|D|obesity; obese; morbid obesity
E55.9|D|vitamin d deficiency; low vitamin d
D64.9|D|anemia; anaemia; low blood count
D50.9|D|iron deficiency anemia; iron deficiency; low iron; low iron levels
E87.6|D|hypokalemia; low potassium
E87.1|D|hyponatremia; low sodium
E86.0|D|dehydration; dehydrated
M10.9|D|gout; gouty arthritis
I50.9|D|heart failure; congestive heart failure; chf; hf; cardiac failure
I50.22|D|heart failure with reduced ejection fraction; hfref; systolic heart failure
I50.32|D|heart failure with preserved ejection fraction; hfpef; diastolic heart failure; diastolic dysfunction
I25.10|D|coronary artery disease; cad; coronary disease; ischemic heart disease; ashd; blocked arteries; clogged arteries; blocked heart arteries
I21.9|D|myocardial infarction; mi; heart attack; stemi; nstemi; ami
I20.9|D|angina; angina pectoris
I48.91|D|atrial fibrillation; afib; a fib; af; a-fib; atrial fib
I48.92|D|atrial flutter; a flutter
I49.9|D|arrhythmia; irregular heartbeat; irregular heart rhythm; dysrhythmia
R00.0|G|tachycardia; rapid heart rate; fast heart rate; racing heart
R00.1|G|bradycardia; slow heart rate
R00.2|S|palpitations; palpitation; heart racing; heart pounding; skipped beats
R01.1|G|heart murmur; murmur; cardiac murmur; systolic murmur; diastolic murmur
I35.0|D|aortic stenosis
R52|G|tenderness; tender
I34.0|D|mitral regurgitation; mitral valve regurgitation
I42.9|D|cardiomyopathy
I51.9|D|cardiac disease; heart problems; heart condition
I31.9|D|pericarditis
I26.99|D|pulmonary embolism; pulmonary embolus; blood clot in the lung
I82.409|D|deep vein thrombosis; dvt; deep venous thrombosis; blood clot in the leg
I73.9|D|peripheral vascular disease; pvd; peripheral artery disease; claudication
I63.9|D|stroke; cva; cerebrovascular accident; cerebral infarction; ischemic stroke
G45.9|D|transient ischemic attack; tia; mini stroke
I71.40|D|abdominal aortic aneurysm; aaa
I95.9|G|hypotension; low blood pressure
R55|S|syncope; fainting; passed out; passing out; blacked out; loss of consciousness; syncopal episode; fainting spell
R42|S|dizziness; dizzy; lightheadedness; lightheaded; light headed; vertigo; room spinning
R07.9|S|chest pain; chest discomfort; chest pressure; chest tightness; chest pains
R07.89|S|pleuritic chest pain
R06.02|S|shortness of breath; sob; dyspnea; short of breath; breathlessness; trouble breathing; difficulty breathing; winded; out of breath
R06.01|S|orthopnea
R06.2|G|wheezing; wheeze; wheezes
R05.9|S|cough; coughing; dry cough; productive cough; nonproductive cough; chronic cough
R09.3|S|sputum; phlegm; mucus production
R04.2|S|hemoptysis; coughing up blood
R09.02|G|hypoxia; hypoxemia; low oxygen; desaturation
R09.89|G|crackles; rales; crepitations; rhonchi; diminished breath sounds; decreased breath sounds
J45.909|D|asthma; reactive airway disease; asthmatic
J44.9|D|chronic obstructive pulmonary disease; copd; emphysema; chronic bronchitis
J44.1|D|copd exacerbation; acute exacerbation of copd; aecopd
J18.9|D|pneumonia; pna; community acquired pneumonia; lung infection
J20.9|D|bronchitis; acute bronchitis; chest cold
J06.9|D|upper respiratory infection; uri; upper respiratory tract infection; common cold; cold symptoms; head cold
J02.9|D|pharyngitis; sore throat; throat pain; strep throat
J01.90|D|sinusitis; sinus infection; rhinosinusitis
J30.9|D|allergic rhinitis; hay fever; seasonal allergies; allergies
R09.81|S|nasal congestion; stuffy nose; congestion; stuffed up
J31.0|S|rhinorrhea; runny nose
J11.1|D|influenza; flu
U07.1|D|covid 19; covid; covid19; coronavirus infection; sars cov 2 infection
G47.33|D|obstructive sleep apnea; osa; sleep apnea
J93.9|D|pneumothorax; collapsed lung
J90|D|pleural effusion
J84.10|D|interstitial lung disease; pulmonary fibrosis
R50.9|S|fever; fevers; febrile; pyrexia; high temperature
R68.83|S|chills; rigors; shaking chills
R61|S|night sweats; sweats; diaphoresis; sweating
R53.83|S|fatigue; tiredness; tired; exhaustion; lethargy; lack of energy; low energy; malaise; weakness
R63.4|S|weight loss; unintentional weight loss; losing weight; unexplained weight loss
R63.5|S|weight gain; gaining weight; gained weight; put on weight; putting on weight
R63.0|S|anorexia; loss of appetite; decreased appetite; poor appetite
R51.9|S|headache; headaches; head pain; cephalgia; head ache
G43.909|D|migraine; migraines; migraine headache
R11.2|S|nausea and vomiting; n/v
R11.0|S|nausea; nauseous; nauseated; queasy; sick to my stomach
R11.10|S|vomiting; emesis; throwing up; threw up; vomited
R19.7|S|diarrhea; loose stools; diarrhoea; watery stools
K59.00|S|constipation; constipated
R10.9|S|abdominal pain; stomach pain; belly pain; stomach ache; stomachache; tummy ache; abdominal discomfort; stomach cramps; abdominal cramping
R10.13|S|epigastric pain
R10.31|S|right lower quadrant pain; rlq pain
R10.11|S|right upper quadrant pain; ruq pain
R14.0|S|bloating; abdominal distension; bloated
R12|S|heartburn; pyrosis; acid reflux
K21.9|D|gastroesophageal reflux disease; gerd; reflux; gastroesophageal reflux
R13.10|S|dysphagia; difficulty swallowing; trouble swallowing
K92.0|S|hematemesis; vomiting blood; vomiting up blood; coffee ground emesis
K92.2|S|gastrointestinal bleeding; gi bleed; gi bleeding
K92.1|S|melena; black stools; tarry stools; black tarry stools
K62.5|S|rectal bleeding; hematochezia; blood in stool; bloody stools; blood in the stool; blood in the stools
K29.70|D|gastritis
K25.9|D|peptic ulcer; stomach ulcer; gastric ulcer; ulcer
K50.90|D|crohn disease; crohns disease; crohn's disease; crohns; crohn's
K51.90|D|ulcerative colitis; uc
K58.9|D|irritable bowel syndrome; ibs
K57.30|D|diverticulosis
K57.92|D|diverticulitis
K35.80|D|appendicitis
K80.20|D|gallstones; cholelithiasis
K81.9|D|cholecystitis
K85.90|D|pancreatitis
K76.0|D|fatty liver; nafld; non alcoholic fatty liver disease; hepatic steatosis
K74.60|D|cirrhosis; liver cirrhosis
B19.20|D|hepatitis c; hep c; hcv
B19.10|D|hepatitis b; hep b; hbv
R17|G|jaundice; icterus; yellowing of the skin
K40.90|D|inguinal hernia; hernia
K64.9|D|hemorrhoids; haemorrhoids
N39.0|D|urinary tract infection; uti; bladder infection
N30.00|D|cystitis
N10|D|pyelonephritis; kidney infection
N20.0|D|kidney stone; kidney stones; nephrolithiasis; renal calculus; renal stones
N18.9|D|chronic kidney disease; ckd; chronic renal insufficiency; chronic renal failure
N17.9|D|acute kidney injury; aki; acute renal failure
R30.0|S|dysuria; painful urination; burning with urination; burning on urination; pain with urination
R35.0|S|urinary frequency; frequent urination; frequency of urination
R39.15|S|urinary urgency; urgency
R31.9|S|hematuria; blood in urine; blood in the urine
R32|S|urinary incontinence; incontinence; leaking urine
N40.0|D|benign prostatic hyperplasia; bph; enlarged prostate
N52.9|D|erectile dysfunction
R35.1|S|nocturia
N94.6|S|dysmenorrhea; painful periods; menstrual cramps
N92.0|S|menorrhagia; heavy periods; heavy menstrual bleeding
N95.1|D|menopause; menopausal symptoms; hot flashes
E28.2|D|polycystic ovary syndrome; pcos
N80.9|D|endometriosis
C50.919|D|breast cancer; breast carcinoma; carcinoma of the breast; malignant neoplasm of breast
C56.9|D|ovarian cancer; cancer of the ovary
C61|D|prostate cancer; prostate carcinoma
C34.90|D|lung cancer; lung carcinoma; non small cell lung cancer; nsclc; small cell lung cancer
C18.9|D|colon cancer; colorectal cancer; colon carcinoma
C25.9|D|pancreatic cancer
C43.9|D|melanoma
C44.91|D|basal cell carcinoma; bcc
C44.92|D|squamous cell carcinoma; scc
C91.10|D|chronic lymphocytic leukemia; cll
C95.90|D|leukemia
C85.90|D|lymphoma
C80.1|D|cancer; malignancy; carcinoma; malignant neoplasm; tumor; tumour
D49.9|D|mass; neoplasm; lesion; nodule
R59.9|G|lymphadenopathy; swollen lymph nodes; swollen glands; enlarged lymph nodes
M54.50|S|low back pain; lower back pain; lumbago; back pain; backache
M54.2|S|neck pain; cervicalgia
M25.50|S|joint pain; arthralgia; joint pains
M25.561|S|right knee pain
M25.562|S|left knee pain
M25.569|S|knee pain
M25.519|S|shoulder pain
M25.559|S|hip pain
M79.609|S|leg pain; limb pain; arm pain
M79.10|S|myalgia; muscle aches; muscle pain; body aches; aches
M54.30|S|sciatica
M19.90|D|osteoarthritis; oa; degenerative joint disease; djd; arthritis
M06.9|D|rheumatoid arthritis
M81.0|D|osteoporosis
M79.7|D|fibromyalgia
M32.9|D|lupus; systemic lupus erythematosus; sle
M75.100|D|rotator cuff tear; rotator cuff injury
S83.509A|D|acl tear; anterior cruciate ligament tear
S93.409A|D|ankle sprain; sprained ankle
T14.8XXA|D|sprain; strain
T14.90XA|D|injury; trauma
T14.8XXA|D|fracture; broken bone
M77.10|D|lateral epicondylitis; tennis elbow
G56.00|D|carpal tunnel syndrome; carpal tunnel
M72.2|D|plantar fasciitis
M25.40|G|joint swelling; joint effusion; effusion
R60.0|G|edema; oedema; swelling; peripheral edema; pedal edema; leg swelling; ankle swelling; swollen ankles; swollen legs; swollen; pitting edema; lower extremity edema
R26.89|G|gait abnormality; unsteady gait; limp; limping
R29.898|S|buckling; instability
R26.81|S|unsteadiness; balance problems; imbalance
R29.6|S|falls
R20.2|S|tingling; paresthesia; paresthesias; pins and needles
R20.0|S|numbness; numb; loss of sensation
R53.1|S|muscle weakness; generalized weakness
R25.1|G|tremor; tremors; shaking
G20.A1|D|parkinson disease; parkinsons disease; parkinson's disease; parkinsonism; parkinsons; parkinson's
G30.9|D|alzheimer disease; alzheimers disease; alzheimer's disease; alzheimers; alzheimer's
F03.90|D|dementia; memory loss; cognitive impairment; memory problems
G40.909|D|epilepsy; seizure disorder; seizures; seizure; convulsions
G35.D|D|multiple sclerosis
G51.0|D|bell palsy; bells palsy; bell's palsy; facial palsy
G62.9|D|neuropathy; peripheral neuropathy; polyneuropathy
E11.40|D|diabetic neuropathy
G47.00|D|insomnia; trouble sleeping; difficulty sleeping; sleeplessness; not sleeping well; can't sleep
R41.0|S|confusion; confused; disorientation; altered mental status; ams
R47.81|G|slurred speech; dysarthria
R29.810|G|facial droop; facial weakness
H53.8|S|blurred vision; blurry vision; vision changes; visual disturbance
H53.2|S|double vision; diplopia
H40.9|D|glaucoma
H26.9|D|cataract; cataracts
H10.9|D|conjunctivitis; pink eye
H66.90|D|otitis media; ear infection
H60.90|D|otitis externa; swimmer's ear
H92.09|S|ear pain; otalgia; earache
H93.19|S|tinnitus; ringing in the ears
H91.90|S|hearing loss; decreased hearing
R04.0|S|nosebleed; epistaxis; nose bleed
F32.A|D|depression; depressed; depressive disorder; major depressive disorder; mdd
R45.89|S|low mood; feeling down; feeling sad; feeling depressed
F41.9|D|anxiety; anxious; anxiety disorder; generalized anxiety disorder; gad; panic attacks; panic disorder
F43.10|D|post traumatic stress disorder; ptsd
F31.9|D|bipolar disorder; bipolar; manic depression
F20.9|D|schizophrenia
F90.9|D|attention deficit hyperactivity disorder; adhd
F84.0|D|autism; autism spectrum disorder; asd
F10.20|D|alcohol use disorder; alcoholism; alcohol dependence; alcohol abuse
F17.210|D|tobacco use; smoker; smoking; nicotine dependence; tobacco use disorder
F11.20|D|opioid use disorder; opioid dependence
R45.851|S|suicidal ideation; suicidal thoughts; thoughts of self harm
L03.90|D|cellulitis; skin infection
L02.91|D|abscess
L27.0|D|drug rash; drug eruption
R21|G|rash; skin rash; hives; urticaria; red spots
L30.9|D|eczema; dermatitis; atopic dermatitis
L40.9|D|psoriasis
L70.0|D|acne
L29.9|S|itching; pruritus; itchy; itchiness
L89.90|D|pressure ulcer; bed sore; pressure injury; decubitus ulcer
T14.8XXA|G|wound; laceration; open wound
B02.9|D|shingles; herpes zoster; zoster
B35.1|D|onychomycosis; nail fungus
B37.9|D|yeast infection; candidiasis; thrush
A41.9|D|sepsis; septicemia; septic
A49.9|D|infection; bacterial infection
B34.9|D|viral infection; virus
Z21|D|hiv; human immunodeficiency virus
A53.9|D|syphilis
A56.19|D|chlamydia
A54.9|D|gonorrhea
R23.1|G|pallor; pale skin
R23.0|G|cyanosis
R58|G|bleeding; hemorrhage; haemorrhage
R52|S|pain; painful; ache; aching; soreness; discomfort
R10.819|G|abdominal tenderness
T78.40XA|D|allergy; allergic reaction; allergic
T78.3XXA|D|angioedema
T78.2XXA|D|anaphylaxis; anaphylactic reaction
Z88.0|D|penicillin allergy; allergic to penicillin
E04.1|D|thyroid nodule
E04.9|D|goiter
E27.40|D|adrenal insufficiency
E21.3|D|hyperparathyroidism
D69.6|D|thrombocytopenia; low platelets
D72.829|D|leukocytosis; elevated white count; high white count
Z33.1|D|pregnant; pregnancy
O24.419|D|gestational diabetes
O14.90|D|preeclampsia
R19.00|G|abdominal mass
R16.0|G|hepatomegaly; enlarged liver
R16.1|G|splenomegaly; enlarged spleen
R22.9|G|lump; localized swelling
I87.2|D|venous insufficiency; varicose veins
I80.9|D|phlebitis; thrombophlebitis
M62.830|S|muscle spasm; muscle spasms; spasms
R25.2|S|cramp; cramps; cramping; leg cramps; muscle cramps; charley horse
M43.6|S|stiff neck; neck stiffness
M25.60|S|joint stiffness; stiffness; morning stiffness
R29.898|G|decreased range of motion; limited range of motion
M54.16|D|lumbar radiculopathy; radiculopathy
M51.26|D|herniated disc; disc herniation; bulging disc; slipped disc
M48.061|D|spinal stenosis; lumbar stenosis
M41.9|D|scoliosis
R06.83|S|snoring
R43.9|S|loss of smell; anosmia; loss of taste
"""
