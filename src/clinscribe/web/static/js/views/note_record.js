// The note review's "will be added to the record" list: what signing this note proposes for the
// patient's record (the server runs the same hand-over signing runs, on the current version).
import * as api from "../api.js";
import { clear, h } from "../dom.js";
import { allergyName, conditionName, kindText, medName, obsName, obsValue, orderName, severityRank } from "../chart/shapes.js";

const GROUPS = [
  ["medication", "Medications"],
  ["condition", "Problems"],
  ["observation", "Vital signs and measurements"],
  ["allergy", "Allergies"],
  ["order", "Draft orders"],
];

function describe(resource, v) {
  if (resource === "medication") return `${medName(v)}${v.kind === "request" ? " (draft prescription)" : ""}`;
  if (resource === "condition") return conditionName(v);
  if (resource === "observation") return `${obsName(v)} ${obsValue(v)}`;
  if (resource === "allergy") return allergyName(v);
  if (resource === "order") return `${orderName(v)} — ${v.category}`;
  return resource;
}

const STATE_TEXT = { proposed: "already proposed: this note is added as a source", active: "already in the record: this note is added as a source" };

// Interaction, allergy and duplicate-therapy alerts over the record's medications plus this
// note's, so a new prescription's conflicts show before the note is signed.
function alertsPart(checked) {
  const alerts = [...checked.alerts].sort((a, b) => severityRank(b) - severityRank(a));
  return h(
    "div",
    { id: "record-preview-alerts" },
    h("h3", {}, "Medication alerts"),
    alerts.length
      ? h(
          "ul",
          { class: "plain alerts" },
          alerts.map((a) =>
            h(
              "li",
              { class: `alert-item${a.acknowledged ? " acknowledged" : ""}` },
              h("span", { class: `badge interaction sev-${String(a.severity).toLowerCase()}` }, a.severity),
              " ",
              h("strong", {}, `${a.drug_a} + ${a.drug_b}`),
              ` — ${kindText(a.kind)}: ${a.mechanism}`,
              a.acknowledged ? h("span", { class: "entity-status" }, " ✓ acknowledged") : "",
            ),
          ),
        )
      : h("p", { class: "empty" }, "No interactions, allergy conflicts or duplicate therapy with the record's medications."),
  );
}

function render(box, note, preview, checked) {
  const signed = note.status === "signed";
  const groups = GROUPS.map(([resource, title]) => {
    const items = preview.entries.filter((e) => e.resource === resource);
    if (!items.length) return null;
    return h(
      "div",
      { class: "entity-group", dataset: { resource } },
      h("h3", {}, title),
      h(
        "ul",
        { class: "plain" },
        items.map((e) => h("li", { dataset: { state: e.record_state || "new" } }, describe(resource, e.values), e.record_state && !signed ? h("small", { class: "meta" }, ` (${STATE_TEXT[e.record_state]})`) : "")),
      ),
    );
  }).filter(Boolean);
  clear(box).append(
    h("h2", { id: "record-preview-title" }, signed ? "Sent to the record" : "Will be added to the record"),
    h(
      "p",
      { class: "hint" },
      signed
        ? "Signing proposed these entries for the patient's record; each becomes part of it once a clinician accepts it there."
        : "When this note is signed, these become proposed entries in the patient's record (plan items become draft orders). Nothing is active until a clinician accepts it. Removing a fact above takes it off this list.",
    ),
    groups.length ? h("div", { class: "columns three", id: "record-preview-list" }, groups) : h("p", { class: "empty", id: "record-preview-list" }, "Nothing from this note will be added to the record."),
    checked ? alertsPart(checked) : "",
    h("p", {}, h("a", { href: `#/patients/${preview.patient_id}/chart/medications`, id: "record-preview-chart" }, "Open the clinical record")),
  );
}

// The card fills itself in; an error leaves a short message and the note page usable.
export function recordPreviewCard(note) {
  const box = h("section", { class: "card", id: "record-preview", "aria-labelledby": "record-preview-title", "aria-busy": "true" }, h("h2", { id: "record-preview-title" }, "Will be added to the record"), h("p", {}, "Loading…"));
  api
    .get(`/notes/${note.id}/record-preview`)
    .then(async (preview) => {
      const checked = await api.get(`/patients/${preview.patient_id}/interactions`, { note_id: note.id });
      render(box, note, preview, checked);
    })
    .catch((error) => clear(box).append(h("h2", { id: "record-preview-title" }, "Will be added to the record"), h("p", { class: "empty" }, `The list could not be loaded: ${error.detail || error.message}`)))
    .finally(() => box.removeAttribute("aria-busy"));
  return box;
}
