// Small helpers to build page content without innerHTML (so no text is ever read as markup).

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// A table with a caption, header cells and rows of cells (numbers right-aligned by class), in a
// region that scrolls sideways when narrow and can be scrolled by keyboard (it takes focus).
export function table(caption, headings, rows, numeric = []) {
  const cell = (tag, value, i) => el(tag, numeric.includes(i) ? { class: "num" } : {}, value ?? "");
  const head = (h, i) => {
    const th = cell("th", h, i);
    th.scope = "col";
    return th;
  };
  return el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el(
      "table",
      {},
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, headings.map(head))),
      el("tbody", {}, rows.map((row) => el("tr", {}, row.map((v, i) => cell("td", v, i))))),
    ),
  );
}

// Show a status message (kind: "ok", "bad" or "wait") in a live region.
export function say(region, kind, message) {
  region.replaceChildren(el("p", { class: `status ${kind}` }, message));
}

// A date and time from the log ("2026-11-04T18:00:00Z") in words, in UK style.
export function when(stamp) {
  const moment = new Date(stamp);
  if (Number.isNaN(moment.getTime())) return stamp;
  return moment.toLocaleString("en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Europe/London",
  });
}
