// Extracted facts (medications, problems, vitals) the clinician accepts or removes.
// Removal also edits the note (drops the sentences naming the fact).
import * as api from "../api.js";
import { state } from "../app.js";
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

function codeSystem(system) {
  const uri = String(system || "").toLowerCase();
  if (uri.includes("rxnorm")) return "RxNorm";
  if (uri.includes("drugbank")) return "DrugBank";
  return null;
}

function medText(e) {
  const a = e.attributes || {};
  const extra = [a.dosage, a.route, a.frequency, a.duration].filter(Boolean).join(", ");
  const code = (e.codes || []).map((c) => [codeSystem(c.system), c.code]).find(([name]) => name);
  return `${e.text}${extra ? ` — ${extra}` : ""}${code ? ` (${code[0]} ${code[1]})` : ""}${(e.traits || []).includes("NEGATION") ? " [negated]" : ""}`;
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

const DECISION_TEXT = { accepted: "✓ accepted", removed: "✗ removed" };

// Decisions are saved with the note (a new version), so they survive reloads, appear in the
// version history and decide what the FHIR bundle carries: removed facts are not sent.
export function entitiesCard(note, reload) {
  const editable = (note.status === "draft" || note.status === "rejected") && state.me && state.me.role === "clinician";
  const content = note.content;

  const decide = (fact, decision, sections, reason) =>
    api.request(`/notes/${note.id}`, {
      method: "PATCH",
      json: { facts: { [fact.id]: decision }, sections, reason },
      // A decision made on an older version is refused (409) rather than applied blindly.
      headers: { "If-Match": `"${note.version}"` },
    });

  const item = (fact, label, term, kinds) => {
    const decision = fact.decision;
    const status = h("span", { class: "entity-status" }, DECISION_TEXT[decision] || "");
    const verb = decision === "removed" ? "Restore" : "Accept";
    const accept = h("button", { type: "button", disabled: !editable || decision === "accepted", "aria-label": `${verb} ${label}` }, verb);
    accept.addEventListener("click", () =>
      busy(accept, async () => {
        await decide(fact, "accepted", {}, null);
        flash(decision === "removed" ? `Restored “${term}”.` : `Accepted “${term}”.`);
        await reload();
      }),
    );
    const remove = h("button", { type: "button", disabled: !editable || decision === "removed", "aria-label": `Remove ${label}` }, "Remove");
    remove.addEventListener("click", () =>
      busy(remove, async () => {
        // The sentences naming the fact go in the same version as the decision.
        const sections = withoutMentions(content.sections || [], term, kinds);
        await decide(fact, "removed", sections, null);
        flash(Object.keys(sections).length ? `Removed “${term}” and the sentences naming it.` : `Removed “${term}”.`);
        await reload();
      }),
    );
    return h(
      "li",
      { class: `entity${decision ? ` ${decision}` : ""}`, dataset: { fact: fact.id, decision: decision || "none" } },
      h("span", {}, label),
      " ",
      status,
      " ",
      accept,
      " ",
      remove,
    );
  };

  const facts = note.facts || [];
  const of = (kind) => facts.filter((f) => f.kind === kind);
  const group = (title, items) =>
    h("div", { class: "entity-group" }, h("h3", {}, title), items.length ? h("ul", {}, items) : h("p", { class: "empty" }, "None found."));
  return h(
    "section",
    { class: "card", id: "entities", "aria-labelledby": "entities-title" },
    h("h2", { id: "entities-title" }, "Extracted facts"),
    editable ? h("p", { class: "hint" }, "Removed facts are left out of what is sent to the EHR.") : h("p", { class: "hint" }, "Facts can be accepted or removed by the note's clinician while it is a draft."),
    h(
      "div",
      { class: "columns three" },
      group("Medications", of("medication").map((f) => item(f, medText(f.fact), f.fact.text, ["medications"]))),
      group("Problems", of("problem").map((f) => item(f, problemText(f.fact), f.fact.text, ["assessment"]))),
      group("Vitals", of("vital").map((f) => item(f, vitalText(f.fact), vitalTerm(f.fact), ["vitals"]))),
    ),
  );
}
