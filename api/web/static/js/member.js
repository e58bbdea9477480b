// member.js: the member's page (/member). Balance and 12-month standing, a chart of credits per
// month (inline SVG drawn here, with a table of the same numbers), the statement in pages (each
// line with a "Prove it" button, wired by prove.js), the claims waiting for MY
// confirmation (Confirm signs the credit.awarded in this browser, Decline the credit.declined
// with its reason), my open claims, my groups
// and my disputes. Everything is read over GraphQL; nothing here is trusted for signing but the
// claim itself and the rule table version it names.

import { awardClaim, claimControls, DECLINE_REASONS, declineClaim } from "./claims.js";
import { ApiError, ensureSession, graphql, showWho } from "./session.js";
import { Refused } from "./statement.js";
import { el, table } from "./dom.js";
import { wireProveButtons } from "./prove.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20;
const SVG = "http://www.w3.org/2000/svg";
const MONTHS = 12;

function say(node, kind, text) {
  node.hidden = false;
  node.className = `status ${kind}`;
  node.textContent = text;
}

const signed = (n) => (n > 0 ? `+${n}` : `${n}`);
let names = new Map();
const nameOf = (id) => names.get(id) ?? id;
let me = null;

const MEMBER = `query Member($m: String!, $before: String) {
  member(id: $m) {
    id handle balance standing
    groups { group role }
    statement(last: ${PAGE}, before: $before) {
      nodes { seq kind award activityOn activity quantity approver credits reason balance }
      pageInfo { hasPreviousPage startCursor }
    }
  }
}`;

const AROUND = `query Around($m: String!) {
  members(first: 100) { nodes { id handle } }
  groups(first: 100) { nodes { slug name } }
  queue: claims(counterparty: $m, status: "open", first: 50) {
    nodes { seq member activity ruleVersion quantity doneOn bid group }
  }
  mine: claims(member: $m, status: "open", first: 50) { nodes { seq activity quantity doneOn counterparty } }
  awards(member: $m, first: 100) { nodes { seq activity disputes { seq award disputer reason outcome resolvedBy } } }
  disputes(first: 100) { nodes { seq award disputer reason outcome resolvedBy } }
}`;

const MONTHLY = `query Monthly($m: String!, $before: String) {
  member(id: $m) {
    statement(last: 100, before: $before) {
      nodes { activityOn credits }
      pageInfo { hasPreviousPage startCursor }
    }
  }
}`;

// The statement, newest page first; `pages` holds the cursors of the pages shown so far.
const pages = [null];

let shown = null;

async function showStatement(index) {
  const { member } = await graphql(MEMBER, { m: me.member, before: pages[index] });
  shown = { index, member };
  drawStatement();
  return member;
}

function drawStatement() {
  const { index, member } = shown;
  $("balance").textContent = `${member.balance} credits`;
  $("standing").textContent = `${member.standing} credits`;
  $("who-am-i").textContent = member.handle ? `${member.handle} (${member.id})` : member.id;
  const { nodes, pageInfo } = member.statement;
  pages[index + 1] = pageInfo.hasPreviousPage ? pageInfo.startCursor : undefined;
  const rows = [...nodes].reverse().map((line) => [
    String(line.seq),
    line.activityOn,
    line.kind === "awarded" ? line.activity : `${line.activity} (${line.kind}${line.reason ? `: ${line.reason}` : ""})`,
    nameOf(line.approver),
    signed(line.credits),
    String(line.balance),
    el("button", { type: "button", class: "small secondary", "data-prove-seq": String(line.seq) }, "Prove it"),
  ]);
  const box = $("statement");
  box.replaceChildren(rows.length
    ? table(`Statement, page ${index + 1} (newest first)`,
      ["Entry", "Date", "Activity", "Approved by", "Credits", "Balance", "Proof"], rows, [0, 4, 5])
    : el("p", {}, "No credits yet."));
  const nav = $("statement-pages");
  const buttons = [];
  if (index > 0) buttons.push(pageButton("Newer lines", index - 1));
  if (pages[index + 1] !== undefined) buttons.push(pageButton("Older lines", index + 1));
  nav.replaceChildren(...buttons);
  performance.mark("statement-shown");
}

function pageButton(label, index) {
  const button = el("button", { type: "button", class: "secondary" }, label);
  button.addEventListener("click", async () => {
    await showStatement(index);
    $("statement").querySelector("caption")?.setAttribute("tabindex", "-1");
    $("statement").querySelector("caption")?.focus();
  });
  return button;
}

function monthKeys(today) {
  const keys = [];
  for (let back = MONTHS - 1; back >= 0; back--) {
    const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - back, 1));
    keys.push(d.toISOString().slice(0, 7));
  }
  return keys;
}

async function showChart() {
  const keys = monthKeys(new Date());
  const totals = new Map(keys.map((k) => [k, 0]));
  let before = null;
  for (;;) {
    const { statement } = (await graphql(MONTHLY, { m: me.member, before })).member;
    let older = false;
    for (const line of statement.nodes) {
      const month = line.activityOn.slice(0, 7);
      if (totals.has(month)) totals.set(month, totals.get(month) + line.credits);
      if (month < keys[0]) older = true;
    }
    if (older || !statement.pageInfo.hasPreviousPage) break;
    before = statement.pageInfo.startCursor;
  }
  const drawn = keys.some((k) => totals.get(k) !== 0)
    ? chart(keys, totals) : el("p", {}, "No credits in the last 12 months yet.");
  $("chart").replaceChildren(drawn, table("Credits per month, the same numbers",
    ["Month", "Credits"], keys.map((k) => [label(k), String(totals.get(k))]), [1]));
  $("chart").querySelector("table").classList.add("visually-hidden");
}

function label(month) {
  const [year, m] = month.split("-").map(Number);
  return new Date(Date.UTC(year, m - 1, 1)).toLocaleString("en-GB", { month: "short", year: "numeric", timeZone: "UTC" });
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A bar chart of credits per month: inline SVG, scaled to the largest month, labelled in text. */
function chart(keys, totals) {
  const width = 720, height = 240, top = 24, bottom = 40, left = 8;
  const step = (width - left) / keys.length;
  const most = Math.max(1, ...keys.map((k) => totals.get(k)));
  const scale = (height - top - bottom) / most;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", "aria-hidden": "true", focusable: "false" });
  root.append(svg("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: "#1b1b1b" }));
  keys.forEach((key, i) => {
    const value = totals.get(key);
    const h = Math.max(0, value) * scale;
    const x = left + i * step;
    root.append(svg("rect", { x: x + step * 0.15, y: height - bottom - h, width: step * 0.7, height: h, fill: "#00594f" }));
    root.append(svg("text", { x: x + step / 2, y: height - bottom - h - 6, "text-anchor": "middle", "font-size": 14, fill: "#1b1b1b" }, String(value)));
    const [year, month] = key.split("-");
    root.append(svg("text", { x: x + step / 2, y: height - bottom + 18, "text-anchor": "middle", "font-size": 13, fill: "#1b1b1b" },
      new Date(Date.UTC(Number(year), Number(month) - 1, 1)).toLocaleString("en-GB", { month: "short", timeZone: "UTC" })));
    if (month === "01" || i === 0) {
      root.append(svg("text", { x: x + step / 2, y: height - bottom + 34, "text-anchor": "middle", "font-size": 12, fill: "#555" }, year));
    }
  });
  return root;
}

async function answer(claim, reason) {
  const box = $("queue-status");
  say(box, "wait", reason ? `Signing the decline of claim ${claim.seq}…` : `Signing the award for claim ${claim.seq}…`);
  try {
    if (reason) {
      const receipt = await declineClaim(claim, reason);
      say(box, "ok", `Declined claim ${claim.seq} by ${nameOf(claim.member)} (${DECLINE_REASONS[reason]}; entry ${receipt.seq}).`);
    } else {
      const { credits, receipt } = await awardClaim(claim);
      say(box, "ok", `Confirmed: ${credits} credits to ${nameOf(claim.member)} for claim ${claim.seq} (entry ${receipt.seq}).`);
    }
    await showAround();
  } catch (error) {
    const why = error instanceof Refused || error instanceof ApiError ? error.message : String(error);
    say(box, "bad", `${reason ? "Not declined" : "Not confirmed"}: ${why}`);
  }
}

async function showAround() {
  const data = await graphql(AROUND, { m: me.member });
  names = new Map(data.members.nodes.map((m) => [m.id, m.handle ?? m.id]));
  const groupNames = new Map(data.groups.nodes.map((g) => [g.slug, g.name]));
  const queue = data.queue.nodes;
  $("queue").replaceChildren(queue.length
    ? table("Claims waiting for you", ["Claim", "From", "Activity", "Units", "Done on", "Confirm or decline"],
      queue.map((claim) => [String(claim.seq), nameOf(claim.member), claim.activity + (claim.bid ? ` (bid ${claim.bid})` : ""),
        String(claim.quantity), claim.doneOn,
        claimControls(claim, nameOf(claim.member), "Confirm", {
          approve: () => answer(claim),
          decline: (reason) => answer(claim, reason),
        })]), [0, 3])
    : el("p", {}, "Nothing is waiting for you."));
  const mine = data.mine.nodes;
  $("my-claims").replaceChildren(mine.length
    ? table("My open claims", ["Claim", "Activity", "Units", "Done on", "Waiting for"],
      mine.map((c) => [String(c.seq), c.activity, String(c.quantity), c.doneOn, c.counterparty ? nameOf(c.counterparty) : "a convenor or the board"]), [0, 2])
    : el("p", {}, "You have no claims waiting."));
  const seen = new Map();
  for (const award of data.awards.nodes) for (const d of award.disputes) seen.set(d.seq, d);
  for (const d of data.disputes.nodes) if (d.disputer === me.member) seen.set(d.seq, d);
  const disputes = [...seen.values()].sort((a, b) => a.seq - b.seq);
  $("disputes").replaceChildren(disputes.length
    ? table("Disputes of my awards, or raised by me", ["Dispute", "Award", "Raised by", "Reason", "Outcome"],
      disputes.map((d) => [String(d.seq), String(d.award), nameOf(d.disputer), d.reason, d.outcome ?? "open"]), [0, 1])
    : el("p", {}, "No disputes."));
  return groupNames;
}

async function main() {
  const status = $("member-status");
  me = await ensureSession();
  showWho(me);
  if (!me) {
    status.className = "status wait";
    status.replaceChildren("Sign in with your key first: ", el("a", { href: "/join" }, "go to Your key"), ".");
    return;
  }
  const [member, groupNames] = await Promise.all([showStatement(0), showAround()]);
  drawStatement(); // again, now that handles are known
  $("groups").replaceChildren(member.groups.length
    ? table("Groups I belong to", ["Group", "Role"], member.groups.map((g) => [groupNames.get(g.group) ?? g.group, g.role]))
    : el("p", {}, "You are not in any working group yet."));
  $("member-body").hidden = false;
  status.className = "status ok";
  status.textContent = `Signed in as ${me.handle ?? me.member}.`;
  await showChart();
}

main().catch((error) => {
  const status = $("member-status");
  status.className = "status bad";
  status.textContent = `This page could not load your credits: ${error.message}`;
});

// Each statement line's "Prove it" checks that entry against the latest signed checkpoint.
wireProveButtons($("statement"));
