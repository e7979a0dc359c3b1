// OpenEMR: the admin screen (connection, status with schema drift, sync, write-back, SMART)
// and the note card that shows where a signed note landed in OpenEMR.
import * as api from "../api.js";
import { busy, clear, describe, field, flash, fmtDate, h, select, table } from "../dom.js";

function card(title, id, ...children) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

async function statusLine() {
  const line = h("p", { id: "openemr-status", role: "status" }, "Checking the connection…");
  try {
    const s = await api.get("/tenant/openemr/status");
    line.textContent = `Connected: ${s.host}/${s.database} (server ${s.server_version}); all ${s.tables_checked} tables the bridge uses are present.`;
    line.dataset.state = "ok";
  } catch (error) {
    // Schema drift names what is missing; an unreachable database says so.
    line.textContent = `Not usable: ${describe(error)}`;
    line.dataset.state = error.code || "error";
    line.classList.add("notice");
  }
  return line;
}

export async function openemrAdmin(body) {
  const o = await api.get("/openemr/overview");
  const c = o.connection;
  const sections = [];
  const url = h("input", { type: "password", name: "database_url", autocomplete: "off", required: !c.configured, placeholder: "mysql://user:password@host:3306/openemr" });
  const facility = h("input", { type: "number", name: "facility_id", min: 1, value: c.facility_id ?? "" });
  const writeBack = select("write_back", [["none", "Off"], ["soap", "SOAP form in the encounter"]], c.write_back);
  const connectForm = h("form", { class: "grid" }, field("Database URL (stored sealed, never shown)", url, c.configured ? "Leave empty to keep the current connection." : ""), field("Facility for new encounters", facility), field("Write signed notes back", writeBack), h("button", { type: "submit", id: "openemr-save" }, "Save"));
  connectForm.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(connectForm.querySelector("button"), async () => {
      const settings = { write_back: writeBack.value, facility_id: facility.value ? Number(facility.value) : null };
      if (url.value.trim()) await api.put("/tenant/openemr", { database_url: url.value.trim(), role_map: c.role_map, ...settings });
      else await api.patch("/tenant/openemr", settings);
      url.value = "";
      flash("OpenEMR settings saved.");
      await openemrAdmin(clear(body));
    });
  });
  if (c.configured) {
    const sync = h("button", { type: "button", id: "openemr-sync" }, "Sync now");
    const result = h("p", { id: "openemr-sync-result", role: "status" });
    sync.addEventListener("click", () => busy(sync, async () => {
      const r = await api.post("/openemr/sync");
      result.textContent = `Patients: ${r.patients_created} new, ${r.patients_updated} updated; encounters: ${r.encounters_created} new, ${r.encounters_updated} updated.`;
      await openemrAdmin(clear(body));
      document.getElementById("openemr-sync-result").textContent = result.textContent;
    }));
    sections.push(
      card(
        "OpenEMR connection",
        "openemr-title",
        h("p", { id: "openemr-target" }, `${c.host}:${c.port} / ${c.database} · write-back ${c.write_back === "soap" ? "on (SOAP form)" : "off"}`),
        await statusLine(),
      ),
      card(
        "Sync",
        "openemr-sync-title",
        h("dl", { class: "facts", id: "openemr-counts" },
          h("dt", {}, "Last sync"), h("dd", { id: "openemr-last-sync" }, o.last_sync_at ? fmtDate(o.last_sync_at) : "never"),
          h("dt", {}, "Patients linked"), h("dd", { id: "openemr-patients" }, String(o.patients_linked)),
          h("dt", {}, "Encounters linked"), h("dd", { id: "openemr-encounters" }, String(o.encounters_linked)),
          h("dt", {}, "OpenEMR users signed in"), h("dd", {}, String(o.users_linked)),
          h("dt", {}, "Write-backs waiting / dead"), h("dd", { id: "openemr-writes" }, `${o.writes_pending} / ${o.writes_dead}`)),
        h("div", { class: "row" }, sync),
        result,
      ),
    );
  } else {
    sections.push(card("OpenEMR connection", "openemr-title", h("p", { id: "openemr-status" }, "No OpenEMR database is connected.")));
  }
  sections.push(card("Settings", "openemr-settings-title", connectForm));
  const roles = c.role_map;
  const named = Object.entries(roles.users || {}).map(([user, role]) => `${user} → ${role}`).join(", ");
  sections.push(
    card(
      "Roles and SMART launch",
      "openemr-roles-title",
      h("p", {}, `OpenEMR providers (authorized) sign in as ${roles.authorized}, other accounts as ${roles.default}${named ? `; by name: ${named}` : ""}.`),
      h("p", { id: "smart-summary" }, o.smart.configured ? `SMART launch: ${o.smart.iss} as client ${o.smart.client_id} (${o.smart.confidential ? "confidential" : "public"}). Launch URL ${location.origin}${o.smart.launch_path}, redirect URL ${location.origin}${o.smart.redirect_path}.` : "SMART launch from OpenEMR is not registered."),
    ),
  );
  clear(body).append(...sections);
}

const PLACED = { pending: "waiting to be written", written: "written", failed: "failed, will retry", dead: "gave up (see dead letters)" };

export function openemrNoteCard(note) {
  const box = h("div", { id: "openemr-placement" }, h("p", {}, "Checking OpenEMR…"));
  api.get(`/notes/${note.id}/openemr`).then((p) => {
    if (!p.linked && !p.versions.length) {
      box.replaceChildren(h("p", {}, "This note's encounter is not linked to OpenEMR."));
      return;
    }
    const where = h("p", { id: "openemr-where" }, `OpenEMR patient ${p.pid ?? "?"}, encounter ${p.encounter ?? "(new)"}`);
    const rows = p.versions.map((v) => [String(v.version), PLACED[v.status] || v.status, v.encounter != null ? String(v.encounter) : "", v.form_id != null ? String(v.form_id) : "", v.superseded_by_version ? `by version ${v.superseded_by_version}` : "", fmtDate(v.written_at), v.last_error || ""]);
    box.replaceChildren(
      where,
      rows.length ? table(["Version", "Status", "Encounter", "SOAP form id", "Superseded", "Written", "Last error"], rows, "Write-back to OpenEMR") : h("p", {}, "Not written to OpenEMR (write-back is off or the note is not signed)."),
      p.ledger_checked || !rows.length ? "" : h("p", { class: "hint" }, "OpenEMR could not be asked just now; form ids appear once it answers."),
    );
  }).catch((error) => box.replaceChildren(h("p", { class: "notice" }, describe(error))));
  return card("OpenEMR", "openemr-note-title", box);
}
