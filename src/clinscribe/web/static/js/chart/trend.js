// A small inline SVG trend chart for one code: values over time, the reference range shaded,
// flagged points coloured, each point titled with its value and date (no chart library).
const SVG = "http://www.w3.org/2000/svg";

function node(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function fmt(v) {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

// points: [{value, at (ISO), flag}] oldest first; range: {low, high} (either may be null).
export function trendChart(points, { label, unit, low = null, high = null } = {}) {
  const width = 320;
  const height = 120;
  const pad = { left: 40, right: 10, top: 10, bottom: 22 };
  const svg = node("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "trend-chart", role: "img" });
  const summary = points.map((p) => `${fmt(p.value)} on ${p.at ? p.at.slice(0, 10) : "?"}`).join(", ");
  svg.setAttribute("aria-label", `${label || "trend"}${unit ? ` (${unit})` : ""}: ${summary || "no values"}`);
  if (!points.length) return svg;
  const values = points.map((p) => p.value).concat([low, high].filter((v) => v !== null && v !== undefined));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const times = points.map((p) => (p.at ? Date.parse(p.at) : NaN));
  const timed = times.every((t) => !Number.isNaN(t)) && Math.max(...times) > Math.min(...times);
  const t0 = Math.min(...times);
  const tSpan = Math.max(...times) - t0;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (i) => pad.left + (points.length === 1 ? plotW / 2 : timed ? ((times[i] - t0) * plotW) / tSpan : (i * plotW) / (points.length - 1));
  const y = (v) => pad.top + plotH - ((v - lo) * plotH) / (hi - lo);
  if (low !== null && low !== undefined && high !== null && high !== undefined) {
    svg.append(node("rect", { x: pad.left, y: y(high), width: plotW, height: Math.max(1, y(low) - y(high)), fill: "#e3f4e8", class: "ref-band" }));
  }
  svg.append(node("line", { x1: pad.left, y1: pad.top, x2: pad.left, y2: pad.top + plotH, stroke: "#7d8a99" }));
  svg.append(node("line", { x1: pad.left, y1: pad.top + plotH, x2: pad.left + plotW, y2: pad.top + plotH, stroke: "#7d8a99" }));
  svg.append(node("text", { x: pad.left - 4, y: pad.top + 8, "text-anchor": "end", "font-size": 10, fill: "#4d5b6b" }, fmt(hi)));
  svg.append(node("text", { x: pad.left - 4, y: pad.top + plotH, "text-anchor": "end", "font-size": 10, fill: "#4d5b6b" }, fmt(lo)));
  const first = points[0].at ? points[0].at.slice(0, 10) : "";
  const last = points[points.length - 1].at ? points[points.length - 1].at.slice(0, 10) : "";
  svg.append(node("text", { x: pad.left, y: height - 6, "font-size": 10, fill: "#4d5b6b" }, first));
  if (points.length > 1) svg.append(node("text", { x: pad.left + plotW, y: height - 6, "text-anchor": "end", "font-size": 10, fill: "#4d5b6b" }, last));
  svg.append(
    node("polyline", {
      points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(" "),
      fill: "none",
      stroke: "#1f5f8b",
      "stroke-width": 1.5,
    }),
  );
  points.forEach((p, i) => {
    const dot = node("circle", { cx: x(i).toFixed(1), cy: y(p.value).toFixed(1), r: i === points.length - 1 ? 3.5 : 2.5, fill: p.flag ? "#b42318" : "#1f5f8b", class: p.flag ? "point flagged" : "point" });
    dot.append(node("title", {}, `${fmt(p.value)}${unit ? ` ${unit}` : ""}${p.flag ? ` (${p.flag})` : ""} — ${p.at ? p.at.slice(0, 16).replace("T", " ") : ""}`));
    svg.append(dot);
  });
  return svg;
}
