// Forms that add an entry a clinician records directly (active at once: it is their decision;
// from other roles it arrives proposed). Each sits folded under its tab's table.
import * as api from "../api.js";
import { field, flash, h, select } from "../dom.js";
import { canWrite, write } from "./common.js";

// controls: [[key, label, element, hint?]]; body(values) → the POST body.
function entryForm(ctx, { resource, noun, title, id, controls, body }) {
  if (!canWrite()) return "";
  const submit = h("button", { type: "submit" }, `Add ${noun}`);
  const form = h("form", { class: "grid", id }, controls.map(([, label, el, hint]) => field(label, el, hint)), submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(controls.map(([key, , el]) => [key, el.value.trim()]));
    const payload = body(values);
    if (await write(submit, noun, () => api.post(`/patients/${ctx.patientId}/${resource}`, payload), ctx.reload)) {
      flash(`Added ${noun} to the record.`);
      await ctx.reload();
    }
  });
  return h("details", { class: "subcard" }, h("summary", {}, title), form);
}

const orNull = (v) => v || null;

export function allergyForm(ctx) {
  return entryForm(ctx, {
    resource: "allergies",
    noun: "allergy",
    title: "Record an allergy",
    id: "add-allergy",
    controls: [
      ["substance", "Substance", h("input", { name: "substance", required: true, maxlength: 200 })],
      ["category", "Category", select("category", ["medication", "food", "environment", "biologic"], "medication")],
      ["reaction", "Reaction", h("input", { name: "reaction", maxlength: 2000 }), "Optional, e.g. hives"],
      ["severity", "Severity", select("severity", [["", "not stated"], "mild", "moderate", "severe"], "")],
      ["criticality", "Criticality", select("criticality", [["", "not stated"], "low", "high", "unable-to-assess"], "")],
    ],
    body: (v) => ({ substance: v.substance, category: v.category, reaction: orNull(v.reaction), severity: orNull(v.severity), criticality: orNull(v.criticality), verification_status: "confirmed" }),
  });
}

export function conditionForm(ctx) {
  return entryForm(ctx, {
    resource: "conditions",
    noun: "problem",
    title: "Add a problem",
    id: "add-condition",
    controls: [
      ["display", "Problem", h("input", { name: "display", required: true, maxlength: 200 })],
      ["code", "ICD-10-CM code", h("input", { name: "code", maxlength: 20, placeholder: "e.g. E11.9" }), "Optional"],
      ["onset_date", "Onset", h("input", { name: "onset_date", type: "date" })],
    ],
    body: (v) => ({ display: v.display, code: orNull(v.code), onset_date: orNull(v.onset_date) }),
  });
}

export function consentForm(ctx) {
  return entryForm(ctx, {
    resource: "consents",
    noun: "consent",
    title: "Record a consent",
    id: "add-consent",
    controls: [
      ["category", "Consent to", select("category", [["ambient-recording", "ambient recording"], "treatment", ["data-sharing", "data sharing"], "research"], "ambient-recording")],
      ["granted_by", "Given by", select("granted_by", ["patient", "guardian", "representative"], "patient")],
      ["period_end", "Valid until", h("input", { name: "period_end", type: "date" }), "Optional; open-ended when empty"],
      ["note", "Note", h("input", { name: "note", maxlength: 2000 }), "Optional"],
    ],
    body: (v) => ({
      category: v.category,
      scope: { treatment: "treatment", research: "research" }[v.category] || "patient-privacy",
      granted_by: v.granted_by,
      status: "active",
      period_start: new Date().toISOString(),
      period_end: v.period_end ? new Date(`${v.period_end}T23:59:59`).toISOString() : null,
      note: orNull(v.note),
    }),
  });
}
