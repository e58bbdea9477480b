// Reports: credit totals by group, activity, borough, kind of member or month (a bar chart and
// its table), the distribution (Gini), and the quarterly social value report pinned to a
// checkpoint; every table downloads as CSV.
import { graphql } from "./graphql.js";
import { el, say, table } from "./dom.js";
import { barChart } from "./chart.js";

const status = document.getElementById("reports-status");
const NAMES = { GROUP: "Working group", ACTIVITY: "Activity", BOROUGH: "Borough", MEMBER_KIND: "Kind of member", MONTH: "Month" };

function csvCell(value) {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvOf(headings, rows) {
  return [headings, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

function download(name, text) {
  const link = el("a", { class: "button secondary", download: name, href: URL.createObjectURL(new Blob([text], { type: "text/csv" })) }, `Download ${name}`);
  return el("p", {}, link);
}

async function showTotals() {
  const dimension = document.getElementById("dimension").value;
  const box = document.getElementById("totals");
  const rows = [];
  let after = null;
  for (;;) {
    const data = await graphql(
      `query($d: Dimension!, $after: String) { totals(dimension: $d, first: 100, after: $after) {
         nodes { key credits } pageInfo { hasNextPage endCursor } } }`,
      { d: dimension, after },
    );
    rows.push(...data.totals.nodes.map((t) => [t.key, t.credits]));
    if (!data.totals.pageInfo.hasNextPage) break;
    after = data.totals.pageInfo.endCursor;
  }
  const heading = NAMES[dimension];
  box.replaceChildren(
    rows.length ? barChart(`Credits by ${heading.toLowerCase()}`, rows) : el("p", {}, "No credits awarded yet."),
    table(`Credits by ${heading.toLowerCase()}`, [heading, "Credits"], rows, [1]),
    download(`credits-by-${dimension.toLowerCase()}.csv`, csvOf([heading.toLowerCase(), "credits"], rows)),
  );
}

async function showDistribution() {
  const { distribution: d } = await graphql("{ distribution { members total gini giniExact } }");
  const fact = (t, v) => el("div", {}, el("dt", {}, t), el("dd", {}, v));
  document.getElementById("distribution").replaceChildren(
    fact("Members", d.members),
    fact("Credits in all", d.total),
    fact("Gini coefficient (0 even, 1 all to one member)", d.gini),
  );
}

function quarters() {
  const select = document.getElementById("quarter");
  const now = new Date();
  let year = now.getUTCFullYear();
  let quarter = Math.floor(now.getUTCMonth() / 3) + 1;
  for (let i = 0; i < 8; i++) {
    select.append(el("option", { value: `${year}-${quarter}` }, `${year} Q${quarter}`));
    quarter -= 1;
    if (quarter === 0) [year, quarter] = [year - 1, 4];
  }
}

async function showSocialValue() {
  const [year, quarter] = document.getElementById("quarter").value.split("-").map(Number);
  const { socialValue: s } = await graphql(
    `query($y: Int!, $q: Int!) { socialValue(year: $y, quarter: $q) {
       start end checkpointSize checkpointRoot totals { measure hours } csv
       lines { borough memberKind measure units hours } } }`,
    { y: year, q: quarter },
  );
  const box = document.getElementById("social");
  box.replaceChildren(
    el("p", {}, `From ${s.start} to ${s.end}, exact at checkpoint ${s.checkpointSize} (root `, el("code", {}, s.checkpointRoot), ").", ),
    s.totals.length
      ? barChart("Hours by measure", s.totals.map((t) => [t.measure, Number(t.hours)]))
      : el("p", {}, "Nothing was recorded in this quarter."),
    table("Hours by measure", ["Measure", "Hours"], s.totals.map((t) => [t.measure, t.hours]), [1]),
    table(
      "By borough and kind of member",
      ["Borough", "Kind of member", "Measure", "Units", "Hours"],
      s.lines.map((l) => [l.borough, l.memberKind, l.measure, l.units, l.hours]),
      [3, 4],
    ),
    download(`social-value-${year}-Q${quarter}.csv`, s.csv),
  );
}

try {
  quarters();
  document.getElementById("dimension").addEventListener("change", () => showTotals().catch((e) => say(status, "bad", e.message)));
  document.getElementById("quarter").addEventListener("change", () => showSocialValue().catch((e) => say(status, "bad", e.message)));
  await Promise.all([showTotals(), showDistribution(), showSocialValue()]);
  status.replaceChildren();
} catch (error) {
  say(status, "bad", `The reports could not be shown: ${error.message}`);
}
