// Vitals and labs: filters, a trend chart per code and every observation in a table.
import * as api from "../api.js";
import { busy, clear, field, flash, h, select } from "../dom.js";
import { sparkline } from "../views/records.js";
import { canWrite, decisionButtons, entrySections, fetchAll, provenance, recordActions, write } from "./common.js";
import { obsName, obsValue, refRange, unitText, when } from "./shapes.js";
import { trendChart } from "./trend.js";

const CATEGORIES = [
  ["", "All"],
  ["vital-signs", "Vital signs"],
  ["laboratory", "Laboratory"],
  ["exam", "Exam"],
  ["social-history", "Social history"],
  ["other", "Other"],
];

function flagBadge(o) {
  if (!o.interpretation || o.interpretation === "N") return "";
  const text = { H: "High", L: "Low", A: "Abnormal" }[o.interpretation] || o.interpretation;
  return h("span", { class: `badge flag-${o.interpretation}`, title: text }, o.interpretation);
}

// Observations in the record grouped by code (or display when uncoded), oldest first.
function byCode(observations) {
  const groups = new Map();
  const sorted = [...observations].sort((a, b) => String(a.effective_at).localeCompare(String(b.effective_at)));
  for (const o of sorted) {
    if (o.state !== "active" || o.value_quantity === null || o.value_quantity === undefined || o.status === "entered-in-error") continue;
    const key = o.code || obsName(o);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(o);
  }
  return groups;
}

function trends(observations) {
  const groups = byCode(observations);
  if (!groups.size) return h("p", { class: "empty" }, "No numeric results in the record to chart.");
  const figures = [...groups.entries()].map(([code, list]) => {
    const last = list[list.length - 1];
    const points = list.map((o) => ({ value: Number(o.value_quantity), at: o.effective_at, flag: o.interpretation && o.interpretation !== "N" ? o.interpretation : null }));
    const name = obsName(last);
    return h(
      "figure",
      { class: "trend", dataset: { code } },
      trendChart(points, { label: name, unit: unitText(last), low: last.ref_low ?? null, high: last.ref_high ?? null }),
      h("figcaption", {}, h("strong", {}, name), last.code ? h("small", { class: "meta" }, ` LOINC ${last.code}`) : "", ` · latest ${obsValue(last)} `, flagBadge(last), h("small", { class: "meta" }, ` (${list.length} value${list.length === 1 ? "" : "s"})`)),
    );
  });
  return h("div", { class: "trend-grid", id: "trend-charts" }, figures);
}

// A clinician's own measurement goes straight into the record (it is their decision).
function addForm(ctx) {
  const name = h("input", { name: "display", required: true, maxlength: 200, placeholder: "e.g. Heart rate" });
  const code = h("input", { name: "code", maxlength: 20, pattern: "[0-9]{1,7}-[0-9]", placeholder: "e.g. 8867-4" });
  const value = h("input", { name: "value", type: "number", step: "any", required: true });
  const unit = h("input", { name: "unit", maxlength: 40, placeholder: "UCUM, e.g. /min" });
  const category = select("category", CATEGORIES.slice(1), "vital-signs");
  const at = h("input", { name: "effective_at", type: "datetime-local", required: true });
  const submit = h("button", { type: "submit" }, "Add observation");
  const form = h("form", { class: "grid", id: "add-observation" }, field("Name", name), field("LOINC code", code, "Optional"), field("Value", value), field("Unit", unit), field("Category", category), field("Taken at", at), submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      display: name.value.trim(),
      code: code.value.trim() || null,
      value_quantity: Number(value.value),
      unit: unit.value.trim() || null,
      category: category.value,
      effective_at: new Date(at.value).toISOString(),
      status: "final",
    };
    if (await write(submit, "observation", () => api.post(`/patients/${ctx.patientId}/observations`, body), ctx.reload)) {
      flash(`Added ${body.display} to the record.`);
      await ctx.reload();
    }
  });
  return h("details", { class: "subcard" }, h("summary", {}, "Record a measurement"), form);
}

// Lab results and letter facts already read from the patient's documents, proposed for review.
function importButton(ctx) {
  const go = h("button", { type: "button", id: "import-documents" }, "Propose results from documents");
  go.addEventListener("click", () =>
    busy(go, async () => {
      const body = await api.post(`/patients/${ctx.patientId}/record/import-documents`, {});
      const n = Object.values(body.proposed || {}).reduce((a, b) => a + b, 0);
      flash(n ? `Proposed ${n} entr${n === 1 ? "y" : "ies"} from documents for your review.` : "Nothing new in the documents.");
      await ctx.reload();
    }),
  );
  return h("p", { class: "row" }, go, h("small", { class: "hint" }, "Lab results and letter facts read from uploaded documents enter as proposed entries."));
}

export async function vitalsTab(body, ctx) {
  const state = ctx.filters || (ctx.filters = { category: "", code: "", date_from: "", date_to: "" });
  const category = select("category", CATEGORIES, state.category);
  const code = h("input", { name: "code", value: state.code, maxlength: 20, placeholder: "LOINC, e.g. 2345-7" });
  const from = h("input", { name: "date_from", type: "date", value: state.date_from });
  const to = h("input", { name: "date_to", type: "date", value: state.date_to });
  const apply = h("button", { type: "submit" }, "Filter");
  const filters = h("form", { class: "row", role: "search", "aria-label": "Filter observations" }, field("Category", category), field("Code", code), field("From", from), field("To", to), apply);
  filters.addEventListener("submit", (e) => {
    e.preventDefault();
    Object.assign(state, { category: category.value, code: code.value.trim(), date_from: from.value, date_to: to.value });
    busy(apply, () => vitalsTab(body, ctx));
  });
  const query = { category: state.category, code: state.code, date_from: state.date_from, date_to: state.date_to };
  const observations = await fetchAll(ctx.patientId, "observations", query);
  const groups = byCode(observations);
  const newestFirst = [...observations].sort((a, b) => String(b.effective_at).localeCompare(String(a.effective_at)));
  const name = (o) => `${obsName(o)} ${obsValue(o)}`;
  const columns = [
    ["Test", (o) => [obsName(o), o.code ? h("small", { class: "meta" }, ` ${o.code}`) : ""]],
    ["Value", (o) => obsValue(o)],
    ["Flag", flagBadge],
    ["Reference", refRange],
    ["Taken", (o) => when(o.effective_at)],
    ["Trend", (o) => (o.state === "active" ? sparkline((groups.get(o.code || obsName(o)) || []).map((x) => ({ value: Number(x.value_quantity), flag: x.interpretation && x.interpretation !== "N" }))) : "")],
    ["Source", provenance],
  ];
  const actions = {
    proposed: (o) => decisionButtons(ctx.patientId, "observations", o, name(o), ctx.reload),
    active: recordActions(ctx.patientId, "observations", name, ctx.reload),
  };
  clear(body).append(
    h("h2", { id: "chart-tab-title", tabindex: -1 }, ctx.title),
    filters,
    h("h3", {}, "Trends"),
    trends(observations),
    h("h3", {}, "Observations"),
    ...entrySections("observations", newestFirst, columns, actions, { limit: 200 }),
    canWrite() ? addForm(ctx) : "",
    canWrite() ? importButton(ctx) : "",
  );
}
