// A patient's search box (top-k chunks of their documents) and Client Health Reports.
import * as api from "../api.js";
import { busy, clear, field, fmtDate, h, table } from "../dom.js";

function hitLink(hit) {
  const href = `#/documents/${hit.document_id}/pages/${hit.page}?begin=${hit.begin}&end=${hit.end}`;
  return h("a", { href, class: "source" }, `p. ${hit.page}`);
}

export function searchSection(patientId) {
  const query = h("input", { type: "search", name: "query", required: true, maxlength: 1000, placeholder: "e.g. latest LDL cholesterol" });
  const k = h("input", { type: "number", name: "k", min: 1, max: 50, value: 5 });
  const submit = h("button", { type: "submit" }, "Search");
  const results = h("div", { id: "search-results", "aria-live": "polite" });
  const form = h("form", { class: "row", role: "search" }, field("Search this patient's documents", query), field("Results", k), submit);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(submit, async () => {
      const body = await api.post(`/patients/${patientId}/search`, { query: query.value, k: Number(k.value) || 5 });
      clear(results);
      if (!body.results.length) return results.append(h("p", {}, "No matching pages."));
      const list = h("ol", { class: "search-hits" });
      for (const hit of body.results) {
        list.append(h("li", {}, h("pre", { class: "page-text" }, hit.text), h("p", { class: "meta" }, hitLink(hit), ` · score ${hit.score.toFixed(4)}`)));
      }
      results.append(list);
    });
  });
  return h("section", { class: "card", id: "search" }, h("h2", {}, "Search records"), form, results);
}

export function reportsSection(patientId) {
  const body = h("div", { id: "reports-body" });
  const draft = h("button", { type: "button", id: "draft-chr" }, "Draft Client Health Report");
  async function reload() {
    const reports = await api.get(`/patients/${patientId}/reports`);
    const rows = reports.map((n) => [
      h("a", { href: `#/notes/${n.id}` }, `Version ${n.version}`),
      n.status,
      `${n.content.faithfulness.supported}/${n.content.faithfulness.sentences} sentences supported`,
      n.signed_at ? `Signed ${fmtDate(n.signed_at)}` : "",
    ]);
    clear(body).append(rows.length ? table(["Report", "Status", "Citations", ""], rows, "Client Health Reports") : h("p", {}, "No reports yet."));
  }
  draft.addEventListener("click", () =>
    busy(draft, async () => {
      const note = await api.post(`/patients/${patientId}/reports`);
      location.hash = `#/notes/${note.id}`;
    }),
  );
  busy(null, reload);
  return h("section", { class: "card", id: "reports" }, h("h2", {}, "Client Health Reports"), draft, body);
}
