// The note review's "will be added to the record" list: the facts the clinician accepted,
// which signing turns into proposed record entries (plan items into draft orders).
import { h } from "../dom.js";

const VITAL_NAMES = {
  blood_pressure: "Blood pressure",
  heart_rate: "Heart rate",
  respiratory_rate: "Respiratory rate",
  temperature: "Temperature",
  oxygen_saturation: "Oxygen saturation",
  weight: "Weight",
  height: "Height",
  bmi: "BMI",
  glucose: "Glucose",
};

function medication(e) {
  const a = e.attributes || {};
  const detail = [a.dosage, a.route, a.frequency, a.duration].filter(Boolean).join(", ");
  return `${e.text}${detail ? ` — ${detail}` : ""}`;
}

function vital(v) {
  const value = v.type === "blood_pressure" ? `${v.systolic}/${v.diastolic}` : v.value;
  return `${VITAL_NAMES[v.type] || v.type} ${value} ${v.unit || ""}`.trim();
}

function problem(p) {
  return `${p.text}${p.code ? ` (ICD-10-CM ${p.code})` : ""}`;
}

// [kind, text] for each accepted fact, in the order the record tabs show them.
export function recordItems(note) {
  const accepted = (note.facts || []).filter((f) => f.decision === "accepted");
  const items = [];
  for (const f of accepted.filter((x) => x.kind === "medication")) items.push(["Medication", medication(f.fact)]);
  for (const f of accepted.filter((x) => x.kind === "problem")) items.push(["Problem", problem(f.fact)]);
  for (const f of accepted.filter((x) => x.kind === "vital")) items.push(["Vital sign", vital(f.fact)]);
  for (const f of accepted.filter((x) => x.kind === "allergy")) items.push(["Allergy", f.fact.substance || f.fact.text]);
  for (const f of accepted.filter((x) => x.kind === "order" || x.kind === "plan")) items.push(["Draft order", f.fact.display || f.fact.text]);
  return items;
}

export function recordPreviewCard(note, patientId) {
  const items = recordItems(note);
  const signed = note.status === "signed";
  const undecided = (note.facts || []).filter((f) => !f.decision).length;
  const list = items.length
    ? h("ul", { class: "plain", id: "record-preview-list" }, items.map(([kind, text]) => h("li", {}, h("span", { class: "kind" }, kind), " ", text)))
    : h("p", { class: "empty" }, "No accepted facts yet: nothing will be added to the record.");
  return h(
    "section",
    { class: "card", id: "record-preview", "aria-labelledby": "record-preview-title" },
    h("h2", { id: "record-preview-title" }, signed ? "Sent to the record" : "Will be added to the record"),
    h(
      "p",
      { class: "hint" },
      signed
        ? "These accepted facts entered the patient's record as proposed entries; confirm each in the clinical record."
        : "When this note is signed, the facts you accepted become proposed entries in the patient's record (plan items become draft orders). Nothing is active until you confirm it there.",
    ),
    list,
    undecided && !signed ? h("p", { class: "meta", id: "record-preview-undecided" }, `${undecided} fact${undecided === 1 ? "" : "s"} not yet accepted will not be added.`) : "",
    patientId ? h("p", {}, h("a", { href: `#/patients/${patientId}/chart/medications` }, "Open the clinical record")) : "",
  );
}
