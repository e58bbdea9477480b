// A horizontal bar chart in inline SVG: one bar per [label, value], each with its label and value
// written beside it (nothing told by colour alone). It is hidden from screen readers: every
// chart is shown next to a table of the same numbers.
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function barChart(title, rows) {
  const bar = 26;
  const gap = 10;
  const labelWidth = 300;
  const width = 900;
  const height = rows.length * (bar + gap) + gap;
  const most = Math.max(1, ...rows.map(([, v]) => v));
  const room = width - labelWidth - 80;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", "aria-hidden": "true", focusable: "false", class: "chart" });
  root.append(svg("title", {}, title));
  rows.forEach(([label, value], i) => {
    const y = gap + i * (bar + gap);
    const length = Math.max(2, (value / most) * room);
    const shown = String(label).length > 38 ? `${String(label).slice(0, 37)}…` : String(label);
    root.append(svg("text", { x: labelWidth - 10, y: y + bar * 0.7, "text-anchor": "end", "font-size": 16, fill: "#1b1b1b" }, shown));
    root.append(svg("rect", { x: labelWidth, y, width: length, height: bar, fill: "#00594f" }));
    root.append(svg("text", { x: labelWidth + length + 8, y: y + bar * 0.7, "font-size": 16, fill: "#1b1b1b" }, String(value)));
  });
  return root;
}
