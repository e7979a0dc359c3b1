// Delivery of a signed note: status, (re)send, and the FHIR Bundle download.
import * as api from "../api.js";
import { busy, flash, fmtDate, h, table } from "../dom.js";

export function deliveryCard(note, reload) {
  const list = h("div", { id: "deliveries" });
  const statusLine = h("p", { id: "delivery-status", role: "status" }, `Delivery: ${note.delivery_status || "not sent"}`);
  let timer = null;
  let shown = false; // poll until the card has been shown and then left

  async function refresh() {
    const rows = await api.get(`/notes/${note.id}/deliveries`);
    const latest = rows[0];
    statusLine.textContent = `Delivery: ${latest ? latest.status : "not sent"}`;
    statusLine.dataset.status = latest ? latest.status : "none";
    send.textContent = latest && latest.status === "delivered" ? "Send again" : "Send to EHR / retry";
    list.replaceChildren(
      rows.length
        ? table(
            ["Version", "Status", "Attempts", "Last response", "Delivered"],
            rows.map((d) => [String(d.version), d.status, String(d.attempts), d.last_error || (d.last_status_code ? String(d.last_status_code) : ""), fmtDate(d.delivered_at)]),
            "Deliveries",
          )
        : h("p", {}, "No deliveries yet."),
    );
    clearTimeout(timer);
    shown ||= list.isConnected;
    if (latest && latest.status === "pending" && (list.isConnected || !shown)) timer = setTimeout(() => refresh().catch(() => {}), 1500);
  }

  const send = h("button", { type: "button", id: "deliver" }, note.delivery_status === "delivered" ? "Send again" : "Send to EHR / retry");
  send.addEventListener("click", () =>
    busy(send, async () => {
      await api.post(`/notes/${note.id}/deliver`);
      flash("Sent to the EHR queue.");
      await refresh();
    }),
  );
  const download = h("button", { type: "button", id: "download-fhir" }, "Download FHIR Bundle");
  download.addEventListener("click", () =>
    busy(download, async () => {
      const bundle = await api.get(`/notes/${note.id}/fhir`);
      const blob = new Blob([JSON.stringify(bundle, null, 2)], { type: "application/fhir+json" });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: `note-${note.id}-v${note.version}.fhir.json`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }),
  );
  refresh().catch(() => {});
  return h(
    "section",
    { class: "card", "aria-labelledby": "delivery-title" },
    h("h2", { id: "delivery-title" }, "Delivery"),
    statusLine,
    h("div", { class: "row" }, send, download, h("button", { type: "button", onclick: () => busy(null, refresh) }, "Refresh")),
    list,
  );
}
