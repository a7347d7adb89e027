// SVG drawings for the authoring UI: a rate-per-day chart and an entry's neighbourhood.
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// series: [{name, color, points: [{day, rate}]}]; marks: [{day, label}] (version changes).
export function rateChart(series, { marks = [], threshold = null, width = 560, height = 180 } = {}) {
  const pad = { l: 36, r: 8, t: 10, b: 24 };
  const days = [...new Set(series.flatMap((s) => s.points.map((p) => p.day)).concat(marks.map((m) => m.day)))].sort();
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "chart" });
  if (!days.length) { root.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", fill: "#646a73" }, "暂无数据")); return root; }
  const x = (day) => pad.l + (days.length === 1 ? 0.5 : days.indexOf(day) / (days.length - 1)) * (width - pad.l - pad.r);
  const y = (rate) => pad.t + (1 - rate) * (height - pad.t - pad.b);
  for (const r of [0, 0.5, 1]) {
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(r), y2: y(r), stroke: "#dee0e3" }));
    root.append(svg("text", { x: pad.l - 4, y: y(r) + 4, "text-anchor": "end", "font-size": 10, fill: "#646a73" }, `${r * 100}%`));
  }
  if (threshold !== null) {
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: y(threshold), y2: y(threshold), stroke: "#d83931", "stroke-dasharray": "4 3" }));
    root.append(svg("text", { x: width - pad.r, y: y(threshold) - 3, "text-anchor": "end", "font-size": 10, fill: "#d83931", class: "threshold-label" },
      `改写线 ${Math.round(threshold * 100)}%`));
  }
  for (const m of marks) {
    root.append(svg("line", { x1: x(m.day), x2: x(m.day), y1: pad.t, y2: height - pad.b, stroke: "#1456f0", "stroke-dasharray": "2 2" }));
    const right = x(m.day) > width - 40;
    root.append(svg("text", { x: x(m.day) + (right ? -3 : 3), y: pad.t + 10, "font-size": 10, fill: "#1456f0", "text-anchor": right ? "end" : "start", class: "mark", "data-day": m.day }, m.label));
  }
  for (const s of series) {
    const pts = s.points.filter((p) => p.rate !== null).sort((a, b) => (a.day < b.day ? -1 : 1));
    if (pts.length > 1) {
      root.append(svg("polyline", { points: pts.map((p) => `${x(p.day)},${y(p.rate)}`).join(" "), fill: "none", stroke: s.color, "stroke-width": 2 }));
    }
    for (const p of pts) root.append(svg("circle", { cx: x(p.day), cy: y(p.rate), r: 2.5, fill: s.color }));
  }
  root.append(svg("text", { x: pad.l, y: height - 6, "font-size": 10, fill: "#646a73" }, days[0]));
  root.append(svg("text", { x: width - pad.r, y: height - 6, "font-size": 10, fill: "#646a73", "text-anchor": "end" }, days[days.length - 1]));
  return root;
}

const KIND = {
  entry: { color: "#1456f0", ring: 0 }, keyword: { color: "#de7802", ring: 1 },
  case: { color: "#2ea121", ring: 1 }, process: { color: "#7f3bf5", ring: 1 }, topic: { color: "#646a73", ring: 1 },
};

// The entry at the centre; its neighbours on a ring, grouped by kind; links drawn as lines.
// `open(entryId)` is called when a neighbouring entry is clicked; the wheel zooms, a drag pans.
export function neighbourhood(graph, { size = 520, open = null } = {}) {
  const c = size / 2;
  const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, width: "100%", role: "img", class: "graph" });
  const centre = `entry:${graph.entry}`;
  const others = graph.nodes.filter((n) => n.id !== centre)
    .sort((a, b) => (a.kind + a.label < b.kind + b.label ? -1 : 1));
  const at = { [centre]: [c, c] };
  others.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / Math.max(others.length, 1) - Math.PI / 2;
    const radius = c - 70 - (i % 2) * 36;
    at[n.id] = [c + radius * Math.cos(angle), c + radius * Math.sin(angle)];
  });
  for (const link of graph.links) {
    if (!at[link.source] || !at[link.target]) continue;
    const [x1, y1] = at[link.source], [x2, y2] = at[link.target];
    root.append(svg("line", { x1, y1, x2, y2, stroke: "#c9cdd4" }));
  }
  for (const n of graph.nodes) {
    if (!at[n.id]) continue;
    const [x, y] = at[n.id];
    const kind = KIND[n.kind] || { color: "#999" };
    const g = svg("g", { class: `node ${n.kind}`, "data-id": n.id });
    g.append(svg("circle", { cx: x, cy: y, r: n.id === centre ? 10 : 6, fill: kind.color }));
    const label = n.label.length > 12 ? `${n.label.slice(0, 11)}…` : n.label;
    // a white halo keeps a label readable where lines or other labels cross it
    g.append(svg("text", { x, y: y + (n.id === centre ? 24 : 18), "text-anchor": "middle", "font-size": 11, fill: "#1f2329",
      stroke: "#fff", "stroke-width": 3, "paint-order": "stroke" }, label));
    g.append(svg("title", {}, `${n.kind}: ${n.label}`));
    if (open && n.kind === "entry" && n.id !== centre) {
      g.setAttribute("class", `node ${n.kind} link`);
      g.addEventListener("click", () => open(n.id.slice("entry:".length)));
    }
    root.append(g);
  }
  zoomable(root, size);
  return root;
}

// Wheel to zoom around the pointer, drag to pan: the viewBox moves, the drawing stays.
function zoomable(root, size) {
  let box = [0, 0, size, size];
  const set = () => root.setAttribute("viewBox", box.join(" "));
  const point = (event) => {
    const r = root.getBoundingClientRect();
    return [box[0] + ((event.clientX - r.left) / r.width) * box[2], box[1] + ((event.clientY - r.top) / r.height) * box[3]];
  };
  root.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [px, py] = point(event);
    const k = Math.min(Math.max(event.deltaY > 0 ? 1.2 : 1 / 1.2, size / 8 / box[2]), (size * 2) / box[2]);
    box = [px - (px - box[0]) * k, py - (py - box[1]) * k, box[2] * k, box[3] * k];
    set();
  }, { passive: false });
  let from = null;
  root.addEventListener("pointerdown", (event) => { from = point(event); });
  root.addEventListener("pointermove", (event) => {
    if (!from || !event.buttons) return;
    const [px, py] = point(event);
    box = [box[0] + from[0] - px, box[1] + from[1] - py, box[2], box[3]];
    set();
  });
  root.addEventListener("pointerup", () => { from = null; });
}
