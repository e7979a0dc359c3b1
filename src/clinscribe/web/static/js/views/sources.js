// The evidence pane of a report drafted from documents (a CHR): the pages a sentence cites,
// each a link to the page viewer with the cited span highlighted.
import { clear, h } from "../dom.js";

export function sourcesView() {
  const list = h("ul", { id: "sentence-sources", class: "sources" });
  const el = h("div", {}, h("p", { class: "hint" }, "Select a sentence to list the pages it cites."), list);
  function highlight(evidence) {
    clear(list);
    const cited = (evidence || []).filter((ev) => ev.document_id);
    for (const ev of cited) {
      const href = `#/documents/${ev.document_id}/pages/${ev.page}?begin=${ev.begin}&end=${ev.end}`;
      list.append(h("li", {}, h("a", { href, class: "source" }, `Document page ${ev.page} (characters ${ev.begin}–${ev.end})`)));
    }
    return cited.length;
  }
  return { el, highlight };
}
