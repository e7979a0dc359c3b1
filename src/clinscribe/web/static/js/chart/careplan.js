// Care plans: goals with targets and due dates, activities linked to orders.
import { clear, h, table } from "../dom.js";
import { canDecide, decisionButtons, fetchAll, proposed, provenance, recordActions, rejected, stateBadge } from "./common.js";
import { day } from "./shapes.js";

function goals(plan) {
  const rows = (plan.goals || []).map((g) => [
    g.description,
    [g.target_value ?? "", g.target_unit || ""].join(" ").trim(),
    g.measure || "",
    day(g.due_date),
    g.status || "",
  ]);
  return rows.length ? table(["Goal", "Target", "Measure", "Due", "Status"], rows, "Goals") : h("p", { class: "empty" }, "No goals.");
}

function activities(plan, orders) {
  const rows = (plan.activities || []).map((a) => {
    const order = a.order_id ? orders.get(a.order_id) : null;
    return [a.description, order ? `${order.display || order.code} (${order.status})` : a.order_id ? "linked order" : "", a.status || ""];
  });
  return rows.length ? table(["Activity", "Order", "Status"], rows, "Activities") : h("p", { class: "empty" }, "No activities.");
}

function planCard(ctx, plan, orders) {
  const name = plan.title || "care plan";
  const actions = !canDecide() ? "" : plan.state === "proposed" ? decisionButtons(ctx.patientId, "care-plans", plan, name, ctx.reload) : plan.state === "active" ? recordActions(ctx.patientId, "care-plans", () => name, ctx.reload)(plan) : "";
  const period = [day(plan.period_start), day(plan.period_end)].filter(Boolean).join(" – ");
  return h(
    "article",
    { class: `subcard care-plan state-${plan.state}`, dataset: { id: plan.id, state: plan.state } },
    h("h3", {}, name, " ", stateBadge(plan)),
    h("p", { class: "meta" }, `Status ${plan.status}`, period ? ` · ${period}` : "", " · ", provenance(plan)),
    plan.description ? h("p", {}, plan.description) : "",
    goals(plan),
    activities(plan, orders),
    h("div", { class: "row" }, actions),
  );
}

export async function carePlansTab(body, ctx) {
  const [plans, orderList] = await Promise.all([fetchAll(ctx.patientId, "care-plans"), fetchAll(ctx.patientId, "orders")]);
  const orders = new Map(orderList.map((o) => [o.id, o]));
  const live = plans.filter((p) => p.state !== "rejected");
  const waiting = proposed(plans).length;
  clear(body).append(
    h("h2", { id: "chart-tab-title", tabindex: -1 }, ctx.title),
    waiting ? h("p", { class: "notice" }, `${waiting} proposed care plan${waiting === 1 ? "" : "s"} awaiting your decision.`) : "",
    ...(live.length ? live.map((p) => planCard(ctx, p, orders)) : [h("p", { class: "empty" }, "No care plan in the record.")]),
    rejected(plans).length ? h("p", { class: "meta" }, `${rejected(plans).length} rejected care plan(s) not shown.`) : "",
  );
}
