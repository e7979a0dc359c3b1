// Tabs that are one table each: orders, allergies, problems and consents.
import { clear, h } from "../dom.js";
import { decisionButtons, entrySections, fetchAll, provenance, recordActions } from "./common.js";
import { allergyForm, conditionForm, consentForm } from "./forms.js";
import { allergyName, conditionName, day, orderName, when } from "./shapes.js";

function tabTitle(ctx) {
  return h("h2", { id: "chart-tab-title", tabindex: -1 }, ctx.title);
}

// Draws one resource's table with accept/reject for proposed entries and a status editor.
async function listTab(body, ctx, resource, columns, name, hint, form = "") {
  const entries = await fetchAll(ctx.patientId, resource);
  const actions = {
    proposed: (e) => decisionButtons(ctx.patientId, resource, e, name(e), ctx.reload),
    active: recordActions(ctx.patientId, resource, name, ctx.reload),
  };
  clear(body).append(tabTitle(ctx), hint ? h("p", { class: "hint" }, hint) : "", ...entrySections(resource, entries, columns, actions), form);
}

export function ordersTab(body, ctx) {
  return listTab(
    body,
    ctx,
    "orders",
    [
      ["Order", (o) => orderName(o)],
      ["Category", (o) => o.category],
      ["Intent", (o) => o.intent || ""],
      ["Status", (o) => o.status],
      ["Authored", (o) => when(o.authored_at || o.created_at)],
      ["Source", provenance],
    ],
    orderName,
    "Plan items from signed notes arrive as draft orders; accept them to place them in the record, then set their status.",
  );
}

export function allergiesTab(body, ctx) {
  return listTab(
    body,
    ctx,
    "allergies",
    [
      ["Substance", (a) => a.substance],
      ["Reaction", (a) => a.reaction || ""],
      ["Severity", (a) => a.severity || ""],
      ["Criticality", (a) => a.criticality || ""],
      ["Verification", (a) => a.verification_status || ""],
      ["Status", (a) => a.clinical_status],
      ["Source", provenance],
    ],
    allergyName,
    null,
    allergyForm(ctx),
  );
}

export function conditionsTab(body, ctx) {
  return listTab(
    body,
    ctx,
    "conditions",
    [
      ["Problem", (c) => c.display || ""],
      ["ICD-10-CM", (c) => c.code || "—"],
      ["Onset", (c) => day(c.onset_date)],
      ["Status", (c) => c.clinical_status],
      ["Verification", (c) => c.verification_status || ""],
      ["Source", provenance],
    ],
    conditionName,
    null,
    conditionForm(ctx),
  );
}

export function consentsTab(body, ctx) {
  return listTab(
    body,
    ctx,
    "consents",
    [
      ["Category", (c) => c.category],
      ["Scope", (c) => c.scope || ""],
      ["Granted by", (c) => c.granted_by || ""],
      ["From", (c) => when(c.period_start)],
      ["Until", (c) => when(c.period_end) || "open"],
      ["Status", (c) => c.status],
    ],
    (c) => `${c.category} consent`,
    "An active ambient-recording consent lets live capture start when the site requires one.",
    consentForm(ctx),
  );
}
