// How record entries read as text (one place, so every tab and the header agree).

export function obsName(o) {
  return o.display || o.code || "observation";
}

// UCUM codes as a clinician writes them (the code stays in the data).
const UNIT_TEXT = { "mm[Hg]": "mmHg", Cel: "°C", "[degF]": "°F", "[lb_av]": "lb", "[in_i]": "in", "kg/m2": "kg/m²" };

export function unitText(o) {
  return o.unit_text || UNIT_TEXT[o.unit] || o.unit || "";
}

function num(value) {
  const v = Number(value);
  return Number.isInteger(v) ? v : Number(v.toFixed(2));
}

export function obsValue(o) {
  if (o.value_quantity !== null && o.value_quantity !== undefined) return `${num(o.value_quantity)} ${unitText(o)}`.trim();
  return o.value_text || "";
}

const SYSTOLIC = "8480-6";
const DIASTOLIC = "8462-4";

// Latest vitals for display: systolic and diastolic taken together read as one blood pressure.
export function vitalLines(vitals) {
  const sys = vitals.find((o) => o.code === SYSTOLIC);
  const dia = vitals.find((o) => o.code === DIASTOLIC);
  if (!sys || !dia || sys.effective_at !== dia.effective_at) return vitals.map((o) => ({ name: obsName(o), value: obsValue(o), at: o.effective_at, flag: o.interpretation }));
  const rest = vitals.filter((o) => o !== sys && o !== dia);
  const flag = [sys.interpretation, dia.interpretation].find((f) => f && f !== "N") || null;
  return [
    { name: "Blood pressure", value: `${num(sys.value_quantity)}/${num(dia.value_quantity)} ${unitText(sys)}`, at: sys.effective_at, flag },
    ...rest.map((o) => ({ name: obsName(o), value: obsValue(o), at: o.effective_at, flag: o.interpretation })),
  ];
}

export function refRange(o) {
  const has = (v) => v !== null && v !== undefined;
  if (has(o.ref_low) && has(o.ref_high)) return `${o.ref_low}–${o.ref_high}`;
  if (has(o.ref_low)) return `≥ ${o.ref_low}`;
  if (has(o.ref_high)) return `≤ ${o.ref_high}`;
  return "";
}

export function medName(m) {
  const detail = [m.dose, m.route, m.frequency, m.duration].filter(Boolean).join(", ");
  return `${m.drug}${detail ? ` — ${detail}` : ""}`;
}

export function conditionName(c) {
  return `${c.display || c.code}${c.code && c.display ? ` (${c.code})` : ""}`;
}

export function allergyName(a) {
  return `${a.substance}${a.reaction ? ` — ${a.reaction}` : ""}`;
}

export function orderName(o) {
  return `${o.display || o.code}${o.priority && o.priority !== "routine" ? ` (${o.priority})` : ""}`;
}

export function day(value) {
  return value ? String(value).slice(0, 10) : "";
}

export function when(value) {
  if (!value) return "";
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toLocaleString();
}

const SEVERITY_RANK = { minor: 1, moderate: 2, major: 3, contraindicated: 4 };

export function severityRank(alert) {
  return SEVERITY_RANK[String(alert.severity).toLowerCase()] || 0;
}

// The two sides of an alert, as names (drug-drug, drug-allergy or duplicate therapy).
export function alertSides(alert) {
  return [alert.drug_a, alert.drug_b].filter(Boolean).map((s) => String(s).toLowerCase());
}

// The alerts that name this medication: the summary lists each one's alert keys; a list row
// without them is matched on the drug names the checker reported.
export function alertsFor(med, alerts) {
  if (Array.isArray(med.alerts)) {
    const keys = new Set(med.alerts.map((a) => a.pair_key));
    return alerts.filter((a) => keys.has(a.pair_key));
  }
  const name = String(med.drug || "").toLowerCase();
  return alerts.filter((a) => alertSides(a).some((s) => name.includes(s)));
}

export function kindText(kind) {
  return { "drug-drug": "interaction", "drug-allergy": "allergy conflict", "duplicate-therapy": "duplicate therapy" }[kind] || "interaction";
}
