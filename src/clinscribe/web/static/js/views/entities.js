// Extracted facts (medications, problems, vitals) the clinician accepts or removes.
// Acceptance is kept in this tab; removal edits the note (drops the sentences naming it).
import * as api from "../api.js";
import { busy, flash, h } from "../dom.js";

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

function vitalText(v) {
  const value = v.type === "blood_pressure" ? `${v.systolic}/${v.diastolic}` : v.value;
  return `${VITAL_NAMES[v.type] || v.type}: ${value} ${v.unit || ""}`.trim();
}

function vitalTerm(v) {
  return v.type === "blood_pressure" ? `${v.systolic}/${v.diastolic}` : String(v.value);
}

function medText(e) {
  const a = e.attributes || {};
  const extra = [a.dosage, a.route, a.frequency, a.duration].filter(Boolean).join(", ");
  const code = (e.codes || [])[0];
  return `${e.text}${extra ? ` — ${extra}` : ""}${code ? ` (RxNorm ${code.code})` : ""}${(e.traits || []).includes("NEGATION") ? " [negated]" : ""}`;
}

function problemText(p) {
  return `${p.text}${p.code ? ` — ICD-10-CM ${p.code}${p.display ? ` ${p.display}` : ""}` : " — no code"}`;
}

// Sections with the sentences that mention `term` removed: those of the fact's own kinds
// (e.g. the assessment line of a problem) when there are any, else every mention.
export function withoutMentions(sections, term, kinds = []) {
  const needle = term.toLowerCase();
  const mentions = (sentence) => sentence.text.toLowerCase().includes(needle);
  const own = sections.some((sec) => (sec.sentences || []).some((x) => mentions(x) && kinds.includes(x.kind)));
  const changed = {};
  for (const section of sections) {
    let text = section.text || "";
    for (const sentence of section.sentences || []) {
      if (mentions(sentence) && (!own || kinds.includes(sentence.kind))) text = text.replace(sentence.text, "");
    }
    if (!(section.sentences || []).length && text.toLowerCase().includes(needle)) {
      text = text.split(/(?<=[.!?])\s+/).filter((x) => !x.toLowerCase().includes(needle)).join(" ");
    }
    text = text.replace(/[ \t]{2,}/g, " ").replace(/\n{2,}/g, "\n").trim();
    if (text !== (section.text || "")) changed[section.key] = text;
  }
  return changed;
}

export function entitiesCard(note, reload) {
  const key = `clinscribe.accepted:${note.id}:${note.version}`;
  const accepted = new Set(JSON.parse(sessionStorage.getItem(key) || "[]"));
  const editable = note.status === "draft" || note.status === "rejected";
  const content = note.content;

  const item = (id, label, term, kinds) => {
    const status = h("span", { class: "entity-status" }, accepted.has(id) ? "✓ accepted" : "");
    const accept = h("button", { type: "button", disabled: accepted.has(id), "aria-label": `Accept ${label}` }, "Accept");
    accept.addEventListener("click", () => {
      accepted.add(id);
      sessionStorage.setItem(key, JSON.stringify([...accepted]));
      status.textContent = "✓ accepted";
      accept.disabled = true;
    });
    const remove = h("button", { type: "button", disabled: !editable, "aria-label": `Remove ${label}` }, "Remove");
    remove.addEventListener("click", () =>
      busy(remove, async () => {
        const sections = withoutMentions(content.sections || [], term, kinds);
        if (!Object.keys(sections).length) {
          flash(`“${term}” is not mentioned in the note text.`);
          return;
        }
        await api.patch(`/notes/${note.id}`, { sections, reason: `removed ${term}` });
        flash(`Removed the sentences naming “${term}”.`);
        await reload();
      }),
    );
    return h("li", { class: accepted.has(id) ? "entity accepted" : "entity" }, h("span", {}, label), " ", status, " ", accept, " ", remove);
  };

  const meds = (content.entities || []).filter((e) => e.category === "MEDICATION");
  const problems = content.problems || [];
  const vitals = content.vitals || [];
  const group = (title, items) =>
    h("div", { class: "entity-group" }, h("h3", {}, title), items.length ? h("ul", {}, items) : h("p", { class: "empty" }, "None found."));
  return h(
    "section",
    { class: "card", id: "entities", "aria-labelledby": "entities-title" },
    h("h2", { id: "entities-title" }, "Extracted facts"),
    editable ? "" : h("p", { class: "hint" }, "Removing facts is possible while the note is a draft."),
    h(
      "div",
      { class: "columns three" },
      group("Medications", meds.map((e, i) => item(`m${i}`, medText(e), e.text, ["medications"]))),
      group("Problems", problems.map((p, i) => item(`p${i}`, problemText(p), p.text, ["assessment"]))),
      group("Vitals", vitals.map((v, i) => item(`v${i}`, vitalText(v), vitalTerm(v), ["vitals"]))),
    ),
  );
}
