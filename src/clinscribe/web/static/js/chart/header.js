// The patient chart header: the record's summary at a glance (latest vitals, active problems,
// active medications with interaction badges, allergies, open orders).
import * as api from "../api.js";
import { busy, clear, flash, h, showError } from "../dom.js";
import { canDecide } from "./common.js";
import { alertsFor, allergyName, conditionName, kindText, medName, orderName, severityRank, vitalLines, when } from "./shapes.js";

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
    vitals: s.latest_vitals,
    problems: s.active_problems,
    medications: s.active_medications,
    allergies: s.allergies,
    orders: s.open_orders,
    alerts: s.alerts,
    pending: s.pending_review || 0,
  };
}

// "N proposed entries wait" with Accept all (after a confirmation: it is N decisions at once).
function pendingBar(patientId, count, onChange) {
  if (!count) return "";
  if (!canDecide()) return h("p", { class: "notice", id: "pending-review" }, `${count} proposed entr${count === 1 ? "y awaits" : "ies await"} a clinician's decision.`);
  const all = h("button", { type: "button", id: "accept-all" }, `Accept all ${count}`);
  all.addEventListener("click", () => {
    if (!confirm(`Accept all ${count} proposed entries into the record?`)) return;
    busy(all, async () => {
      const body = await api.post(`/patients/${patientId}/record/accept-all`, {});
      const n = Object.values(body.accepted || {}).reduce((a, b) => a + b, 0);
      flash(`Accepted ${n} entr${n === 1 ? "y" : "ies"} into the record.`);
      await onChange();
    });
  });
  return h(
    "p",
    { class: "notice row", id: "pending-review" },
    h("span", {}, `${count} proposed entr${count === 1 ? "y awaits" : "ies await"} your decision (shown in the tabs with Accept / Reject).`),
    all,
  );
}

function render(box, patientId, s, onChange) {
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
    pendingBar(patientId, p.pending, onChange),
    h(
      "div",
      { class: "summary-grid" },
      block("Latest vitals", "summary-vitals", vitalLines(p.vitals).map((v) => [h("strong", {}, v.name), ` ${v.value} `, v.flag && v.flag !== "N" ? h("span", { class: `badge flag-${v.flag}` }, v.flag) : "", h("small", { class: "meta" }, ` ${when(v.at)}`)]), "No vitals recorded."),
      block("Active problems", "summary-problems", p.problems.map(conditionName), "No active problems."),
      block("Active medications", "summary-medications", p.medications.map((m) => [medName(m), " ", interactionBadges(alertsFor(m, p.alerts))]), "No active medications."),
      block("Allergies", "summary-allergies", p.allergies.map((a) => [allergyName(a), " ", a.criticality === "high" ? h("span", { class: "badge flag-H" }, "high risk") : ""]), "No allergies recorded."),
      block("Open orders", "summary-orders", p.orders.map((o) => [orderName(o), h("small", { class: "meta" }, ` ${o.status}`)]), "No open orders."),
    ),
  );
}

// The header section; it fills itself in (and `refresh()` reloads it after a change).
// `onChange` runs after a change made from the header (the chart page reloads its tab too).
export function chartHeader(patientId, onChange) {
  const box = h("section", { class: "card chart-header", id: "chart-header", "aria-labelledby": "chart-summary-title", "aria-busy": "true" }, h("h2", { id: "chart-summary-title" }, "Clinical summary"), h("p", {}, "Loading…"));
  box.refresh = async () => {
    box.setAttribute("aria-busy", "true");
    try {
      render(box, patientId, await api.get(`/patients/${patientId}/summary`), onChange || box.refresh);
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
