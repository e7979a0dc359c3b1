// How record entries read as text (one place, so every tab and the header agree).

export function obsName(o) {
  return o.display || o.code || "observation";
}

export function obsValue(o) {
  if (o.value_quantity !== null && o.value_quantity !== undefined) {
    const v = Number(o.value_quantity);
    return `${Number.isInteger(v) ? v : Number(v.toFixed(2))} ${o.unit_text || o.unit || ""}`.trim();
  }
  return o.value_text || "";
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
