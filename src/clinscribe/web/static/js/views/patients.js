// Patients: search, list, create; a patient's encounters: list, create.
import * as api from "../api.js";
import { chartHeader } from "../chart/header.js";
import { busy, clear, field, fmtDate, h, select, table } from "../dom.js";
import { recordsSection } from "./records.js";
import { reportsSection, searchSection } from "./search.js";

const main = () => document.getElementById("main");

export function patientName(p) {
  return `${p.family_name}, ${p.given_name}`;
}

export async function patientsPage() {
  const family = h("input", { type: "search", name: "family_name", autocomplete: "off" });
  const mrn = h("input", { type: "search", name: "mrn", autocomplete: "off" });
  const results = h("div", { id: "patient-results", "aria-live": "polite" });
  const searchBtn = h("button", { type: "submit" }, "Search");
  const search = h(
    "form",
    { class: "row", role: "search", "aria-label": "Find patients" },
    field("Family name starts with", family),
    field("MRN", mrn),
    searchBtn,
  );
  let offset = 0;
  async function load() {
    const page = await api.get("/patients", { family_name: family.value.trim(), mrn: mrn.value.trim(), limit: 25, offset });
    const rows = page.items.map((p) => [
      h("a", { href: `#/patients/${p.id}` }, patientName(p)),
      p.mrn,
      p.birth_date || "",
      p.sex,
    ]);
    const pager = h(
      "div",
      { class: "row" },
      h("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - 25); busy(null, load); } }, "Previous"),
      h("span", {}, `${page.total ? offset + 1 : 0}–${offset + page.items.length} of ${page.total}`),
      h("button", { type: "button", disabled: offset + 25 >= page.total, onclick: () => { offset += 25; busy(null, load); } }, "Next"),
    );
    clear(results).append(
      page.items.length ? table(["Name", "MRN", "Birth date", "Sex"], rows, "Patients") : h("p", {}, "No patients found."),
      pager,
    );
  }
  search.addEventListener("submit", (e) => {
    e.preventDefault();
    offset = 0;
    busy(searchBtn, load);
  });
  clear(main()).append(
    h("h1", {}, "Patients"),
    h("section", { class: "card" }, h("h2", {}, "Find a patient"), search, results),
    createPatientForm(),
  );
  await load();
}

function createPatientForm() {
  const inputs = {
    mrn: h("input", { name: "mrn", required: true, pattern: "[A-Za-z0-9._\\-]+" }),
    given_name: h("input", { name: "given_name", required: true, autocomplete: "off" }),
    family_name: h("input", { name: "family_name", required: true, autocomplete: "off" }),
    birth_date: h("input", { name: "birth_date", type: "date" }),
    sex: select("sex", ["unknown", "female", "male", "other"], "unknown"),
  };
  const submit = h("button", { type: "submit" }, "Create patient");
  const form = h(
    "form",
    { class: "grid" },
    field("MRN", inputs.mrn, "Letters, digits, dot, dash, underscore"),
    field("Given name", inputs.given_name),
    field("Family name", inputs.family_name),
    field("Birth date", inputs.birth_date),
    field("Sex", inputs.sex),
    submit,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const body = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim() || null]));
      const patient = await api.post("/patients", body);
      location.hash = `#/patients/${patient.id}`;
    });
  });
  return h("section", { class: "card" }, h("h2", {}, "New patient"), form);
}

export async function patientPage(patientId) {
  const patient = await api.get(`/patients/${patientId}`);
  const page = await api.get("/encounters", { patient_id: patientId, limit: 100 });
  const rows = page.items.map((e) => [
    h("a", { href: `#/encounters/${e.id}` }, fmtDate(e.started_at || e.created_at)),
    e.type,
    e.status,
    e.reason || "",
  ]);
  const type = select("type", ["ambulatory", "emergency", "inpatient", "telehealth", "home"], "ambulatory");
  const reason = h("input", { name: "reason", maxlength: 2000 });
  const submit = h("button", { type: "submit" }, "Start encounter");
  const form = h("form", { class: "row" }, field("Type", type), field("Reason for visit", reason), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const encounter = await api.post("/encounters", {
        patient_id: patientId,
        type: type.value,
        status: "in-progress",
        reason: reason.value.trim() || null,
        started_at: new Date().toISOString(),
      });
      location.hash = `#/encounters/${encounter.id}`;
    });
  });
  clear(main()).append(
    h("p", {}, h("a", { href: "#/patients" }, "← Patients")),
    h("h1", {}, patientName(patient)),
    h("p", { class: "meta" }, `MRN ${patient.mrn}`, patient.birth_date ? ` · born ${patient.birth_date}` : "", ` · ${patient.sex}`),
    chartHeader(patientId),
    h("p", {}, h("a", { href: `#/patients/${patientId}/chart/vitals`, class: "button primary", id: "open-chart" }, "Open the clinical record")),
    h("section", { class: "card" }, h("h2", {}, "New encounter"), form),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Encounters"),
      rows.length ? table(["Started", "Type", "Status", "Reason"], rows, "Encounters") : h("p", {}, "No encounters yet."),
    ),
    recordsSection(patientId),
    searchSection(patientId),
    reportsSection(patientId),
  );
}
