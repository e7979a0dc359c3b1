// Network access and the PHI egress log: the tenant's IP allowlist (with the lock-out
// confirmation) and every call that sent PHI out of this installation.
import * as api from "../api.js";
import { busy, clear, field, flash, fmtDate, h, select, table } from "../dom.js";

function card(title, id, ...children) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export async function allowlistAdmin(body) {
  const current = await api.get("/tenant/ip-allowlist");
  const list = h("textarea", { name: "networks", rows: 6, spellcheck: "false", placeholder: "203.0.113.0/24\n2001:db8::/32" });
  list.value = current.networks.join("\n");
  const you = h(
    "p",
    { id: "allowlist-you", role: "status" },
    `You are connecting from ${current.your_address || "an unknown address"}` +
      (current.networks.length ? (current.you_are_allowed ? ", which the list allows." : ", which the list does NOT allow.") : "."),
  );
  const confirm = h("div", { id: "allowlist-confirm" });
  const networks = () => list.value.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean);
  const save = async (confirmLockout) => {
    try {
      await api.put("/tenant/ip-allowlist", { networks: networks(), confirm_lockout: confirmLockout });
    } catch (error) {
      if (error.code !== "allowlist_excludes_you") throw error;
      // The list would shut this very session out: say so, and save only on a second, explicit click.
      const anyway = h("button", { type: "button", id: "allowlist-lockout", class: "danger" }, "Save anyway and lock me out");
      anyway.addEventListener("click", () => busy(anyway, () => save(true)));
      clear(confirm).append(h("div", { class: "notice", role: "alert" }, h("p", {}, `This list does not include your address (${current.your_address || "unknown"}). Saving it ends your access from here.`), anyway));
      return;
    }
    flash(networks().length ? "IP allowlist saved." : "IP allowlist cleared: any address may connect.");
    await allowlistAdmin(body);
  };
  const submit = h("button", { type: "submit", id: "allowlist-save" }, "Save allowlist");
  const formEl = h(
    "form",
    { class: "grid" },
    field("Allowed networks (CIDR, IPv4 or IPv6; one per line)", list, "Empty: no restriction. Applies to every sign-in, API key and live stream of this tenant."),
    submit,
  );
  formEl.addEventListener("submit", (e) => {
    e.preventDefault();
    clear(confirm);
    busy(submit, () => save(false));
  });
  clear(body).append(card("Network access", "allowlist-title", you, formEl, confirm));
}

const PROCESSORS = [["", "All processors"], ["remote_asr", "Remote speech recognition"], ["llm", "LLM refinement"], ["ehr_fhir", "EHR (FHIR delivery)"], ["openemr", "OpenEMR write-back"]];

export async function egressAdmin(body, offset = 0, filters = {}) {
  // `filters` keeps what the form showed (sinceLocal) next to what the API takes.
  const query = (f) => ({ processor: f.processor, since: f.since });
  const page = await api.get("/admin/egress", { limit: 50, offset, ...query(filters) });
  const processor = select("processor", PROCESSORS, filters.processor || "");
  const since = h("input", { type: "datetime-local", name: "since", value: filters.sinceLocal || "" });
  const chosen = () => {
    const f = { processor: processor.value };
    if (since.value) Object.assign(f, { since: new Date(since.value).toISOString(), sinceLocal: since.value });
    return f;
  };
  const rows = page.items.map((e) => [fmtDate(e.occurred_at), e.processor, e.destination, e.purpose, `${e.object_type || ""} ${e.object_ids.join(" ")}`.trim(), String(e.bytes), e.outcome, `${e.actor_type}${e.actor_id ? ` ${e.actor_id.slice(0, 8)}` : ""}`]);
  const move = (to) => h("button", { type: "button", onclick: () => busy(null, () => egressAdmin(body, to, filters)) }, to < offset ? "Newer" : "Older");
  const download = h("button", { type: "button", id: "egress-csv" }, "Download CSV");
  download.addEventListener("click", () => busy(download, async () => {
    const response = await api.request("/admin/egress", { query: { ...query(filters), format: "csv" }, raw: true });
    if (!response.ok) throw new Error(`Export failed (HTTP ${response.status})`);
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: "egress.csv", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }));
  const filter = h("form", { class: "grid" }, field("Processor", processor), field("Since", since), h("button", { type: "submit" }, "Filter"));
  filter.addEventListener("submit", (e) => {
    e.preventDefault();
    busy(null, () => egressAdmin(body, 0, chosen()));
  });
  clear(body).append(
    card(
      "PHI egress log",
      "egress-title",
      h("p", {}, "Every call that sent patient data out of this installation: where to (host only), why, how many bytes and what happened. Never the content."),
      filter,
      table(["When", "Processor", "Destination", "Purpose", "Objects", "Bytes", "Outcome", "Actor"], rows, `Egress events ${page.total ? offset + 1 : 0}–${offset + page.items.length} of ${page.total}`),
      h("div", { class: "row" }, offset > 0 ? move(Math.max(0, offset - 50)) : "", offset + 50 < page.total ? move(offset + 50) : "", download),
    ),
  );
}
