// The patient chart header: the record's summary at a glance (latest vitals, active problems,
// active medications with interaction badges, allergies, open orders).
import * as api from "../api.js";
import { clear, h, showError } from "../dom.js";
import { alertsFor, allergyName, conditionName, kindText, medName, obsName, obsValue, orderName, severityRank, when } from "./shapes.js";

// One badge per alert; the worst unacknowledged severity decides the colour.
export function interactionBadges(alerts) {
  return [...alerts]
    .sort((a, b) => severityRank(b) - severityRank(a))
    .map((a) => {
      const other = [a.drug_a, a.drug_b].filter(Boolean).join(" + ");
      const ack = Boolean(a.acknowledged);
      return h(
        "span",
        {
          class: `badge interaction sev-${String(a.severity).toLowerCase()}${ack ? " acknowledged" : ""}`,
          title: `${other}: ${a.mechanism || ""}${ack ? " (acknowledged)" : ""}`,
        },
        ack ? "✓ " : "⚠ ",
        `${a.severity} ${kindText(a.kind)}`,
        h("span", { class: "sr-only" }, ` with ${other}${ack ? ", acknowledged" : ", not acknowledged"}`),
      );
    });
}

function block(title, id, items, empty) {
  return h(
    "div",
    { class: "summary-block", id },
    h("h3", {}, title),
    items.length ? h("ul", { class: "plain" }, items.map((i) => h("li", {}, i))) : h("p", { class: "empty" }, empty),
  );
}

export function summaryParts(s) {
  return {
    vitals: s.latest_vitals || s.vitals || [],
    problems: s.active_problems || s.problems || s.conditions || [],
    medications: s.active_medications || s.medications || [],
    allergies: s.allergies || [],
    orders: s.open_orders || s.orders || [],
    alerts: s.interactions || s.alerts || [],
  };
}

function render(box, patientId, s) {
  const p = summaryParts(s);
  const open = p.alerts.filter((a) => !a.acknowledged);
  clear(box).append(
    h(
      "div",
      { class: "summary-head" },
      h("h2", { id: "chart-summary-title" }, "Clinical summary"),
      open.length
        ? h("a", { href: `#/patients/${patientId}/chart/medications`, class: "badge interaction sev-major", id: "open-alerts" }, `⚠ ${open.length} unacknowledged alert${open.length === 1 ? "" : "s"}`)
        : null,
    ),
    h(
      "div",
      { class: "summary-grid" },
      block("Latest vitals", "summary-vitals", p.vitals.map((o) => [h("strong", {}, obsName(o)), ` ${obsValue(o)}`, o.interpretation && o.interpretation !== "N" ? h("span", { class: `badge flag-${o.interpretation}` }, o.interpretation) : "", h("small", { class: "meta" }, ` ${when(o.effective_at)}`)]), "No vitals recorded."),
      block("Active problems", "summary-problems", p.problems.map(conditionName), "No active problems."),
      block("Active medications", "summary-medications", p.medications.map((m) => [medName(m), " ", interactionBadges(alertsFor(m, p.alerts))]), "No active medications."),
      block("Allergies", "summary-allergies", p.allergies.map((a) => [allergyName(a), a.criticality === "high" ? h("span", { class: "badge flag-H" }, "high risk") : ""]), "No allergies recorded."),
      block("Open orders", "summary-orders", p.orders.map((o) => [orderName(o), h("small", { class: "meta" }, ` ${o.status}`)]), "No open orders."),
    ),
  );
}

// The header section; it fills itself in (and `refresh()` reloads it after a change).
export function chartHeader(patientId) {
  const box = h("section", { class: "card chart-header", id: "chart-header", "aria-labelledby": "chart-summary-title", "aria-busy": "true" }, h("h2", { id: "chart-summary-title" }, "Clinical summary"), h("p", {}, "Loading…"));
  box.refresh = async () => {
    box.setAttribute("aria-busy", "true");
    try {
      render(box, patientId, await api.get(`/patients/${patientId}/summary`));
    } catch (error) {
      showError(error);
      clear(box).append(h("h2", { id: "chart-summary-title" }, "Clinical summary"), h("p", { class: "empty" }, "The summary could not be loaded."));
    } finally {
      box.removeAttribute("aria-busy");
    }
  };
  box.refresh();
  return box;
}
