// Administration: users, API keys, templates, the EHR endpoint, OpenEMR, network access, the
// PHI egress log, audit trail, dead letters.
import * as api from "../api.js";
import { busy, clear, field, flash, fmtDate, h, select, table } from "../dom.js";
import { allowlistAdmin, egressAdmin } from "./access.js";
import { openemrAdmin } from "./openemr.js";

const TABS = [
  ["users", "Users"],
  ["keys", "API keys"],
  ["templates", "Templates"],
  ["ehr", "EHR endpoint"],
  ["openemr", "OpenEMR"],
  ["security", "Security"],
  ["network", "Network access"],
  ["egress", "PHI egress"],
  ["audit", "Audit trail"],
  ["dead-letters", "Dead letters"],
];

export async function adminPage(tab) {
  const body = h("div", { id: "admin-body" });
  const nav = h(
    "nav",
    { class: "tabs", "aria-label": "Administration" },
    TABS.map(([key, label]) => h("a", { href: `#/admin/${key}`, "aria-current": key === tab ? "page" : false }, label)),
  );
  clear(document.getElementById("main")).append(h("h1", {}, "Administration"), nav, body);
  const render = { users, keys, templates, ehr, openemr: openemrAdmin, security, network: allowlistAdmin, egress: egressAdmin, audit, "dead-letters": deadLetters }[tab] || users;
  await render(body);
}

function form(fields, label, onSubmit) {
  const submit = h("button", { type: "submit" }, label);
  const el = h("form", { class: "grid" }, fields, submit);
  el.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(submit, () => onSubmit(el));
  });
  return el;
}

// The tenant's MFA policy: which roles must use a second factor, and how recent one must be
// for sensitive actions (signing, keys, settings).
async function security(body) {
  const current = await api.get("/tenant/security");
  const boxes = ["clinician", "reviewer", "admin"].map((role) =>
    h("input", { type: "checkbox", name: "mfa-role", value: role, checked: current.mfa_required_roles.includes(role) }),
  );
  const minutes = h("input", { type: "number", name: "step_up_minutes", min: 1, max: 1440, required: true, value: current.step_up_minutes });
  clear(body).append(
    h("section", { class: "card" }, h("h2", {}, "Two-step verification"), form([
      h("fieldset", {}, h("legend", {}, "Required for"), boxes.map((box) => h("label", { class: "check" }, box, ` ${box.value}`))),
      field("Minutes a code stays fresh for sensitive actions", minutes),
    ], "Save policy", async () => {
      await api.put("/tenant/security", {
        mfa_required_roles: boxes.filter((b) => b.checked).map((b) => b.value),
        step_up_minutes: Number(minutes.value),
      });
      flash("Security policy saved.");
    })),
  );
}

async function users(body) {
  const page = await api.get("/users", { limit: 200 });
  const rows = page.items.map((u) => {
    const toggle = h("button", { type: "button" }, u.is_active ? "Deactivate" : "Activate");
    toggle.addEventListener("click", () => busy(toggle, async () => {
      await api.patch(`/users/${u.id}`, { is_active: !u.is_active });
      await users(clear(body));
    }));
    // Lifts a sign-in or second-factor lockout at once (otherwise it ends by itself).
    const unlock = h("button", { type: "button", dataset: { unlock: u.email } }, "Unlock");
    unlock.addEventListener("click", () => busy(unlock, async () => {
      await api.post(`/users/${u.id}/unlock`);
      flash(`${u.email} can sign in again.`);
    }));
    return [u.email, u.full_name || "", u.role, u.is_active ? "active" : "inactive", h("span", {}, toggle, " ", unlock)];
  });
  const email = h("input", { type: "email", name: "email", required: true });
  const name = h("input", { name: "full_name" });
  const role = select("role", ["clinician", "reviewer", "admin"], "clinician");
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", minlength: 12 });
  clear(body).append(
    h("section", { class: "card" }, h("h2", {}, "Users"), table(["Email", "Name", "Role", "State", ""], rows, "Users of this tenant")),
    h("section", { class: "card" }, h("h2", {}, "Add a user"), form([field("Email", email), field("Full name", name), field("Role", role), field("Password", password, "Leave empty for single sign-on users")], "Add user", async () => {
      await api.post("/users", { email: email.value.trim(), full_name: name.value.trim() || null, role: role.value, password: password.value || null });
      flash("User added.");
      await users(body);
    })),
  );
}

async function keys(body) {
  const page = await api.get("/api-keys", { limit: 200 });
  const rows = page.items.map((k) => {
    const revoke = h("button", { type: "button", disabled: Boolean(k.revoked_at) }, "Revoke");
    revoke.addEventListener("click", () => busy(revoke, async () => {
      await api.del(`/api-keys/${k.id}`);
      await keys(body);
    }));
    return [k.name, `${k.prefix}…`, k.scopes.join(", "), k.revoked_at ? perMinuteText(k) : perMinute(k, body), fmtDate(k.created_at), fmtDate(k.last_used_at), k.revoked_at ? "revoked" : revoke];
  });
  const name = h("input", { name: "name", required: true });
  const scope = select("scope", [["read", "read"], ["write", "read + write"], ["admin", "read + write + admin"]], "read");
  const limit = h("input", { type: "number", name: "rate_limit_per_minute", min: 1, max: 100000, step: 1 });
  const shown = h("div", { role: "status" });
  clear(body).append(
    h("section", { class: "card" }, h("h2", {}, "API keys"), table(["Name", "Prefix", "Scopes", "Requests a minute", "Created", "Last used", ""], rows, "API keys")),
    h("section", { class: "card" }, h("h2", {}, "New API key"), form([field("Name", name), field("Scope", scope), field("Requests a minute", limit, "This key's own limit; empty: only the server-wide limit.")], "Create key", async () => {
      const created = await api.post("/api-keys", { name: name.value.trim(), scopes: [scope.value], rate_limit_per_minute: limit.value ? Number(limit.value) : null });
      await keys(body);
      body.append(h("section", { class: "card notice" }, h("p", {}, "Copy this key now; it will not be shown again:"), h("code", { class: "secret" }, created.key)));
    }), shown),
  );
}

function perMinuteText(k) {
  return k.rate_limit_per_minute ? String(k.rate_limit_per_minute) : "server-wide only";
}

// A key's own per-minute limit, editable in place (empty clears it).
function perMinute(k, body) {
  const input = h("input", { type: "number", min: 1, max: 100000, step: 1, value: k.rate_limit_per_minute ?? "", "aria-label": `Requests a minute for ${k.name}`, placeholder: "server-wide" });
  const set = h("button", { type: "button" }, "Set");
  set.addEventListener("click", () => busy(set, async () => {
    await api.patch(`/api-keys/${k.id}`, { rate_limit_per_minute: input.value ? Number(input.value) : null });
    flash("Limit saved.");
    await keys(body);
  }));
  return h("span", { class: "row-actions" }, input, set);
}

async function templates(body) {
  const list = await api.get("/templates");
  const rows = list.map((t) => [t.key, t.title, t.sections.map((s) => s.title).join(", "), t.builtin ? "built-in" : "tenant"]);
  const json = h("textarea", { name: "template", rows: 10, spellcheck: "false" });
  json.value = JSON.stringify({ key: "clinic_followup", title: "Clinic follow-up", sections: [{ key: "history", title: "History", fact_kinds: [] }] }, null, 2);
  clear(body).append(
    h("section", { class: "card" }, h("h2", {}, "Templates"), table(["Key", "Title", "Sections", "Kind"], rows, "Note templates")),
    h("section", { class: "card" }, h("h2", {}, "New template"), form([field("Template (JSON: key, title, sections)", json)], "Create template", async () => {
      let data;
      try {
        data = JSON.parse(json.value);
      } catch (error) {
        throw new Error(`The template is not valid JSON: ${error.message}`);
      }
      await api.post("/templates", data);
      flash("Template created.");
      await templates(body);
    })),
  );
}

async function ehr(body) {
  const current = await api.get("/tenant/ehr").catch((error) => (error.status === 404 ? null : Promise.reject(error)));
  const base = h("input", { type: "url", name: "base_url", required: true, value: current ? current.base_url : "" });
  const patientSystem = h("input", { name: "patient_system", required: true, value: current ? current.patient_system : "" });
  const encounterSystem = h("input", { name: "encounter_system", value: current ? current.encounter_system : "urn:clinscribe:encounter" });
  const kind = select("auth_kind", [["none", "None"], ["client_secret", "OAuth2 client secret"]], "none");
  const tokenUrl = h("input", { type: "url", name: "token_url" });
  const clientId = h("input", { name: "client_id" });
  const secret = h("input", { type: "password", name: "client_secret", autocomplete: "off" });
  const loopback = h("input", { type: "checkbox", name: "allow_loopback", checked: Boolean(current && current.allow_loopback) });
  const summary = current
    ? h("p", {}, `Configured: ${current.base_url} (authentication: ${current.auth_kind}), updated ${fmtDate(current.updated_at)}. Secrets are never shown; re-enter them to change.`)
    : h("p", {}, "No EHR endpoint is configured.");
  clear(body).append(
    h(
      "section",
      { class: "card" },
      h("h2", {}, "EHR endpoint (FHIR R4)"),
      summary,
      form(
        [
          field("FHIR base URL", base),
          field("Patient identifier system (MRNs)", patientSystem),
          field("Encounter identifier system", encounterSystem),
          field("Authentication", kind),
          field("Token URL", tokenUrl),
          field("Client id", clientId),
          field("Client secret", secret),
          h("div", { class: "field check" }, loopback, h("label", { for: (loopback.id = "allow-loopback") }, "Allow loopback addresses (development only)")),
        ],
        "Save EHR endpoint",
        async () => {
          const auth = kind.value === "none" ? { kind: "none" } : { kind: "client_secret", token_url: tokenUrl.value, client_id: clientId.value, client_secret: secret.value };
          await api.put("/tenant/ehr", {
            base_url: base.value.trim(),
            patient_system: patientSystem.value.trim(),
            encounter_system: encounterSystem.value.trim() || "urn:clinscribe:encounter",
            allow_loopback: loopback.checked,
            auth,
          });
          flash("EHR endpoint saved.");
          await ehr(body);
        },
      ),
    ),
  );
}

async function audit(body, offset = 0, filters = {}) {
  const page = await api.get("/audit", { limit: 50, offset, ...filters });
  const action = h("input", { name: "action", value: filters.action || "" });
  const objectId = h("input", { name: "object_id", value: filters.object_id || "" });
  const rows = page.items.map((e) => [fmtDate(e.occurred_at), e.action, `${e.actor_type}${e.actor_id ? ` ${e.actor_id.slice(0, 8)}` : ""}`, `${e.object_type || ""} ${e.object_id || ""}`.trim(), e.outcome]);
  const move = (to) => h("button", { type: "button", onclick: () => busy(null, () => audit(body, to, filters)) }, to < offset ? "Newer" : "Older");
  clear(body).append(
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Audit trail"),
      form([field("Action", action), field("Object id", objectId)], "Filter", () => audit(body, 0, { action: action.value.trim(), object_id: objectId.value.trim() })),
      table(["When", "Action", "Actor", "Object", "Outcome"], rows, `Audit events ${offset + 1}–${offset + page.items.length} of ${page.total}`),
      h("div", { class: "row" }, offset > 0 ? move(Math.max(0, offset - 50)) : "", offset + 50 < page.total ? move(offset + 50) : ""),
    ),
  );
}

async function deadLetters(body) {
  const rows = (await api.get("/admin/dead-letters")).map((d) => {
    const replay = h("button", { type: "button" }, "Replay");
    replay.addEventListener("click", () => busy(replay, async () => {
      await api.post(`/admin/dead-letters/${d.job_id}/replay`);
      flash("Queued again.");
      await deadLetters(body);
    }));
    return [d.kind, `${d.subject_type} ${d.subject_id}`, String(d.attempts), d.last_error || "", fmtDate(d.finished_at), replay];
  });
  clear(body).append(
    h("section", { class: "card" }, h("h2", {}, "Dead letters"), rows.length ? table(["Job", "Subject", "Attempts", "Last error", "Finished", ""], rows, "Jobs that gave up") : h("p", {}, "No dead letters.")),
  );
}
