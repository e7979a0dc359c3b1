// Shared pieces of the clinical record chart: the resources and their status vocabularies,
// fetching a patient's entries, state badges, accept/reject of proposed entries and versioned
// status edits (a stale version is a 409, explained in words a clinician can act on).
import * as api from "../api.js";
import { state } from "../app.js";
import { busy, flash, h, select, showError } from "../dom.js";

// Accepting, rejecting, editing and acknowledging are a clinician's decisions (the API refuses
// anyone else); other roles read the chart without those controls.
export function canDecide() {
  return Boolean(state.me && state.me.role === "clinician");
}

export function canWrite() {
  return Boolean(state.me && (state.me.role === "clinician" || state.me.role === "admin"));
}

// path segment under /patients/{id}/, the field a clinician changes, and its values.
export const RESOURCES = {
  observations: { label: "observation", statusField: "status", statuses: ["preliminary", "final", "amended", "entered-in-error"] },
  medications: { label: "medication", statusField: "status", statuses: ["active", "completed", "stopped", "intended", "on-hold", "cancelled", "draft", "entered-in-error"] },
  orders: { label: "order", statusField: "status", statuses: ["draft", "active", "on-hold", "revoked", "completed", "entered-in-error"] },
  allergies: { label: "allergy", statusField: "clinical_status", statuses: ["active", "inactive", "resolved"] },
  conditions: { label: "problem", statusField: "clinical_status", statuses: ["active", "recurrence", "relapse", "inactive", "remission", "resolved"] },
  "care-plans": { label: "care plan", statusField: "status", statuses: ["draft", "active", "on-hold", "revoked", "completed"] },
  consents: { label: "consent", statusField: "status", statuses: ["draft", "proposed", "active", "rejected", "inactive", "entered-in-error"] },
};

// Statuses each medication kind may take (statements and requests differ in FHIR).
const MED_STATUSES = {
  statement: ["active", "completed", "stopped", "intended", "entered-in-error"],
  request: ["draft", "active", "on-hold", "cancelled", "completed", "stopped", "entered-in-error"],
};

export function statusesOf(resource, entry) {
  if (resource === "medications") return MED_STATUSES[entry.kind] || RESOURCES.medications.statuses;
  return RESOURCES[resource].statuses;
}

const ALL_STATES = ["proposed", "active", "rejected"];

// Every entry of one resource for a patient, in all states (proposed ones need a decision).
// The API serves at most 200 at a time: the first page tells the total, the rest are fetched
// together (the browser runs a few at once), so a long lab history loads in one round or two.
export async function fetchAll(patientId, resource, query = {}) {
  const limit = 200;
  const page = (offset) => api.get(`/patients/${patientId}/${resource}`, { state: ALL_STATES, ...query, limit, offset });
  const first = await page(0);
  const offsets = [];
  for (let offset = limit; offset < first.total; offset += limit) offsets.push(offset);
  const rest = await Promise.all(offsets.map(page));
  return first.items.concat(...rest.map((p) => p.items));
}

export const proposed = (entries) => entries.filter((e) => e.state === "proposed");
export const decided = (entries) => entries.filter((e) => e.state === "active");
export const rejected = (entries) => entries.filter((e) => e.state === "rejected");

export function stateBadge(entry) {
  const text = { proposed: "Proposed", active: "In record", rejected: "Rejected" }[entry.state] || entry.state;
  return h("span", { class: `badge state-${entry.state}` }, text);
}

// Where an entry came from: a note version, a document page, typed in, or a device.
export function provenance(entry) {
  const sources = entry.sources || [];
  if (!sources.length) return entry.source || "";
  return sources
    .map((s) => {
      if (s.kind === "note" && s.note_id) return h("a", { href: `#/notes/${s.note_id}`, class: "source" }, `note v${s.note_version ?? "?"}`);
      if (s.kind === "document" && s.document_id) {
        // The page viewer highlights the span the entry was read from.
        const span = Number.isInteger(s.start) && Number.isInteger(s.end) ? `?begin=${s.start}&end=${s.end}` : "";
        return h("a", { href: `#/documents/${s.document_id}/pages/${s.page || 1}${span}`, class: "source" }, `document p. ${s.page || 1}`);
      }
      return s.kind;
    })
    .flatMap((part, i) => (i ? [", ", part] : [part]));
}

export function conflictText(_error, label) {
  return `This ${label} was changed by someone else since you opened it, so your change was not saved. The list has been reloaded with the latest version; check it and try again.`;
}

// Runs a write; a stale version (409) reloads the list and explains why nothing was saved.
// Returns true when the write went through.
export async function write(button, label, action, reload) {
  let outcome = null;
  flash("");
  await busy(button, async () => {
    try {
      await action();
      outcome = "saved";
    } catch (error) {
      if (error.status !== 409) throw error;
      outcome = error;
    }
  });
  if (outcome && outcome !== "saved") {
    await reload();
    showError(new Error(conflictText(outcome, label)));
  }
  return outcome === "saved";
}

// A decision names the version the clinician saw (If-Match): a stale one is refused (409).
function decide(path, entry) {
  return api.request(path, { method: "POST", json: {}, headers: { "If-Match": `"${entry.version}"` } });
}

// Accept / reject buttons for a proposed entry.
export function decisionButtons(patientId, resource, entry, name, reload) {
  const base = `/patients/${patientId}/${resource}/${entry.id}`;
  const label = RESOURCES[resource].label;
  const accept = h("button", { type: "button", class: "primary", "aria-label": `Accept ${name}` }, "Accept");
  accept.addEventListener("click", async () => {
    if (await write(accept, label, () => decide(`${base}/accept`, entry), reload)) {
      flash(`Accepted ${name} into the record.`);
      await reload();
    }
  });
  const reject = h("button", { type: "button", "aria-label": `Reject ${name}` }, "Reject");
  reject.addEventListener("click", async () => {
    if (await write(reject, label, () => decide(`${base}/reject`, entry), reload)) {
      flash(`Rejected ${name}; it stays out of the record.`);
      await reload();
    }
  });
  return h("span", { class: "row-actions", role: "group", "aria-label": `Decision on ${name}` }, accept, " ", reject);
}

// An entry recorded by mistake: marked entered-in-error (kept, struck through, never deleted).
export function inError(entry) {
  return entry.status === "entered-in-error" || entry.verification_status === "entered-in-error";
}

export function errorButton(patientId, resource, entry, name, reload) {
  const { label } = RESOURCES[resource];
  const mark = h("button", { type: "button", class: "quiet", "aria-label": `Mark ${name} entered in error` }, "Entered in error");
  mark.addEventListener("click", async () => {
    if (!confirm(`Mark ${name} as entered in error? It stays in the history, struck through.`)) return;
    if (await write(mark, label, () => decide(`/patients/${patientId}/${resource}/${entry.id}/entered-in-error`, entry), reload)) {
      flash(`Marked ${name} as entered in error.`);
      await reload();
    }
  });
  return mark;
}

// What a clinician can do with an entry in the record: change its status, or mark it an error.
export function recordActions(patientId, resource, name, reload) {
  return (entry) =>
    inError(entry)
      ? h("span", { class: "meta" }, "entered in error")
      : h("span", { class: "row-actions" }, statusEditor(patientId, resource, entry, name(entry), reload), " ", errorButton(patientId, resource, entry, name(entry), reload));
}

// A status select with Save for an entry in the record (a versioned PATCH).
export function statusEditor(patientId, resource, entry, name, reload) {
  const { statusField, label } = RESOURCES[resource];
  const choice = select(statusField, statusesOf(resource, entry), entry[statusField]);
  choice.setAttribute("aria-label", `Status of ${name}`);
  const save = h("button", { type: "button", "aria-label": `Save status of ${name}` }, "Save");
  save.addEventListener("click", async () => {
    if (choice.value === entry[statusField]) return flash("Nothing changed.");
    const body = { [statusField]: choice.value, version: entry.version };
    if (await write(save, label, () => api.patch(`/patients/${patientId}/${resource}/${entry.id}`, body), reload)) {
      flash(`Saved: ${name} is now ${choice.value}.`);
      await reload();
    }
  });
  return h("span", { class: "row-actions" }, choice, " ", save);
}

// A table section: proposed entries first (with decisions), then the record, then rejected.
// `limit` caps the rows of the record table (newest first as given); filters narrow the rest.
export function entrySections(resource, entries, columns, actions, { limit = Infinity } = {}) {
  const { label } = RESOURCES[resource];
  if (!canDecide()) actions = { proposed: null, active: null };
  const part = (title, list, id, withActions) => {
    if (!list.length) return null;
    const rows = list.map((e) => {
      const cells = columns.map(([, cell]) => cell(e));
      cells.push(stateBadge(e));
      if (withActions) cells.push(withActions(e));
      return h("tr", { class: `entry state-${e.state}${inError(e) ? " in-error" : ""}`, dataset: { id: e.id, state: e.state } }, cells.map((c) => h("td", {}, c)));
    });
    const heads = columns.map(([head]) => head).concat(["State"], withActions ? [""] : []);
    return h(
      "table",
      { id, class: `entries ${id}` },
      h("caption", {}, title),
      h("thead", {}, h("tr", {}, heads.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    );
  };
  const waiting = proposed(entries);
  const inRecord = decided(entries);
  const out = [];
  if (waiting.length) {
    const who = canDecide() ? "your" : "a clinician's";
    out.push(h("p", { class: "notice", id: `${resource}-waiting` }, `${waiting.length} proposed ${label}${waiting.length === 1 ? "" : " entries"} awaiting ${who} decision.`));
    out.push(part(`Proposed — not yet in the record`, waiting, `${resource}-proposed`, actions.proposed));
  }
  const shown = inRecord.slice(0, limit);
  out.push(shown.length ? part("In the record", shown, `${resource}-active`, actions.active) : h("p", { class: "empty" }, `No ${label} entries in the record.`));
  if (shown.length < inRecord.length) out.push(h("p", { class: "hint" }, `Showing the newest ${shown.length} of ${inRecord.length}; use the filters to narrow the list.`));
  const gone = rejected(entries);
  if (gone.length) out.push(h("details", {}, h("summary", {}, `Rejected (${gone.length})`), part("Rejected", gone, `${resource}-rejected`, null)));
  return out;
}
