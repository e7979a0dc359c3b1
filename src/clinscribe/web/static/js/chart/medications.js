// Medications: statements and requests with interaction badges, and the current alerts
// (drug-drug, drug-allergy, duplicate therapy), each acknowledged with a required reason.
import * as api from "../api.js";
import { clear, field, flash, h } from "../dom.js";
import { canDecide, decisionButtons, entrySections, fetchAll, provenance, recordActions, write } from "./common.js";
import { interactionBadges } from "./header.js";
import { alertsFor, kindText, medName, severityRank, when } from "./shapes.js";

function sourceText(source) {
  if (!source) return "";
  if (typeof source === "string") return source;
  return [source.name, source.version, source.licence].filter(Boolean).join(" · ");
}

function alertItem(ctx, alert) {
  const sides = [alert.drug_a, alert.drug_b].filter(Boolean).join(" + ");
  const head = h(
    "p",
    { class: "alert-head" },
    h("span", { class: `badge interaction sev-${String(alert.severity).toLowerCase()}` }, alert.severity),
    " ",
    h("strong", {}, sides),
    ` — ${kindText(alert.kind)}`,
  );
  const detail = h("p", {}, alert.mechanism || "", alert.reference ? h("small", { class: "meta" }, ` (${alert.reference})`) : "");
  const source = h("p", { class: "meta" }, `Source: ${sourceText(alert.source)}`);
  const li = h("li", { class: `alert-item${alert.acknowledged ? " acknowledged" : ""}`, dataset: { pair: alert.pair_key } }, head, detail, source);
  if (alert.acknowledged) {
    const by = alert.acknowledged_at ? ` on ${when(alert.acknowledged_at)}` : "";
    li.append(h("p", { class: "entity-status" }, `✓ Acknowledged${by}`, alert.reason ? `: ${alert.reason}` : ""));
    return li;
  }
  if (!canDecide()) {
    li.append(h("p", { class: "meta" }, "Not acknowledged yet (a clinician acknowledges alerts)."));
    return li;
  }
  const reason = h("input", { name: "reason", required: true, maxlength: 1000, autocomplete: "off" });
  const submit = h("button", { type: "submit", "aria-label": `Acknowledge ${sides}` }, "Acknowledge");
  const form = h("form", { class: "row" }, field(`Reason for continuing ${sides}`, reason, "Required; kept in the audit trail."), submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = reason.value.trim();
    if (!text) {
      reason.setCustomValidity("Give a reason to acknowledge this alert.");
      reason.reportValidity();
      return;
    }
    const body = { pair_key: alert.pair_key, reason: text };
    if (await write(submit, "alert", () => api.post(`/patients/${ctx.patientId}/interactions/acknowledge`, body), ctx.reload)) {
      flash(`Acknowledged ${sides}.`);
      await ctx.reload();
    }
  });
  reason.addEventListener("input", () => reason.setCustomValidity(""));
  li.append(form);
  return li;
}

function alertsCard(ctx, alerts) {
  const sorted = [...alerts].sort((a, b) => Number(Boolean(a.acknowledged)) - Number(Boolean(b.acknowledged)) || severityRank(b) - severityRank(a));
  return h(
    "section",
    { class: "subcard", id: "interaction-alerts", "aria-labelledby": "alerts-title" },
    h("h3", { id: "alerts-title" }, "Interaction alerts"),
    sorted.length ? h("ul", { class: "plain alerts" }, sorted.map((a) => alertItem(ctx, a))) : h("p", { class: "empty" }, "No interactions, allergy conflicts or duplicate therapy among the active medications."),
  );
}

export async function medicationsTab(body, ctx) {
  const [meds, answer, summary] = await Promise.all([
    fetchAll(ctx.patientId, "medications"),
    api.get(`/patients/${ctx.patientId}/interactions`),
    api.get(`/patients/${ctx.patientId}/summary`),
  ]);
  const alerts = answer.alerts;
  // The summary knows which alerts name each active medication.
  const flagged = new Map(summary.active_medications.map((m) => [m.id, m]));
  const columns = [
    ["Medication", (m) => [medName(m), m.rxnorm ? h("small", { class: "meta" }, ` RxNorm ${m.rxnorm}`) : ""]],
    ["Kind", (m) => (m.kind === "request" ? `order (${m.intent || "proposal"})` : "taking")],
    ["Status", (m) => m.status],
    ["Alerts", (m) => (m.state === "active" ? interactionBadges(alertsFor(flagged.get(m.id) || m, alerts)) : "")],
    ["Source", provenance],
  ];
  const actions = {
    proposed: (m) => decisionButtons(ctx.patientId, "medications", m, medName(m), ctx.reload),
    active: recordActions(ctx.patientId, "medications", medName, ctx.reload),
  };
  const unresolved = answer.unresolved || [];
  clear(body).append(
    h("h2", { id: "chart-tab-title", tabindex: -1 }, ctx.title),
    alertsCard(ctx, alerts),
    unresolved.length ? h("p", { class: "meta", id: "unresolved-drugs" }, `Not checked (name not recognised): ${unresolved.join(", ")}.`) : "",
    h("h3", {}, "Medication list"),
    ...entrySections("medications", meds, columns, actions),
  );
}
