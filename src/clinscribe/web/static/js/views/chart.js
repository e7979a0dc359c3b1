// A patient's clinical record: the summary header and one tab per kind of entry.
import * as api from "../api.js";
import { clear, h } from "../dom.js";
import { chartHeader } from "../chart/header.js";
import { allergiesTab, conditionsTab, consentsTab, ordersTab } from "../chart/lists.js";
import { carePlansTab } from "../chart/careplan.js";
import { medicationsTab } from "../chart/medications.js";
import { vitalsTab } from "../chart/vitals.js";
import { waveformsTab } from "../chart/waveforms.js";
import { patientName } from "./patients.js";

const TABS = [
  ["vitals", "Vitals & labs", vitalsTab],
  ["medications", "Medications", medicationsTab],
  ["orders", "Orders", ordersTab],
  ["allergies", "Allergies", allergiesTab],
  ["problems", "Problems", conditionsTab],
  ["care-plan", "Care plan", carePlansTab],
  ["consents", "Consents", consentsTab],
  ["waveforms", "Waveforms", waveformsTab],
];

export async function chartPage(patientId, tab) {
  const current = TABS.find(([key]) => key === tab) || TABS[0];
  const patient = await api.get(`/patients/${patientId}`);
  const header = chartHeader(patientId, () => ctx.reload());
  const body = h("section", { class: "card", id: "chart-tab", "aria-labelledby": "chart-tab-title" });
  const nav = h(
    "nav",
    { class: "tabs", "aria-label": "Clinical record" },
    TABS.map(([key, label]) => h("a", { href: `#/patients/${patientId}/chart/${key}`, "aria-current": key === current[0] ? "page" : false }, label)),
  );
  clear(document.getElementById("main")).append(
    h("p", {}, h("a", { href: `#/patients/${patientId}` }, "← Patient")),
    h("h1", {}, `${patientName(patient)} — clinical record`),
    h("p", { class: "meta" }, `MRN ${patient.mrn}`, patient.birth_date ? ` · born ${patient.birth_date}` : "", ` · ${patient.sex}`),
    header,
    nav,
    body,
  );
  const draw = current[2];
  const ctx = {
    patientId,
    title: current[1],
    // After a change: the tab and the header both show the new state.
    reload: async () => {
      await Promise.all([draw(body, ctx), header.refresh()]);
      // The control that had focus was redrawn: keep keyboard users in the tab, not at the top.
      if (document.activeElement === document.body) document.getElementById("chart-tab-title")?.focus();
    },
  };
  await draw(body, ctx);
}
