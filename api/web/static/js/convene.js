// convene.js: the convenor's page (/convene), for the convenors of working groups and the
// board. Record a session register and sign one award per attendee (docs/credits.md §1),
// approve or decline claims that need a convenor (§3), open a proposal (prepareProposal, then
// sign the body it returns), see who has not voted, close (prepareClose) and record the
// decision (prepareDecision). Every act is a statement signed here (statement.js).

import { awardClaim, claimControls, DECLINE_REASONS, declineClaim } from "./claims.js";
import { el, table, when } from "./dom.js";
import { allNodes, memberNames, nameOf } from "./graphql.js";
import { ApiError, ensureSession, graphql, showWho } from "./session.js";
import { Refused, submit } from "./statement.js";

const $ = (id) => document.getElementById(id);
const status = $("convene-status");
const MOTIONS = new Set(["proposal", "consent"]);
const ASSEMBLY = "assembly";
let me = null;
let board = false;
let convenes = []; // the groups I convene: [{slug, name}]
let rules = []; // the rule table in force
let version = 0;
let names = new Map();
let groupNames = new Map(); // slug -> name
const groupMembers = new Map(); // slug -> [member id], read when first needed
const PAGE_INFO = "pageInfo { hasNextPage endCursor }";

function say(region, kind, text) {
  region.className = `status ${kind}`;
  region.textContent = text;
}

function plain(error) {
  if (error instanceof Refused || error instanceof ApiError) return error.message;
  return `Something went wrong: ${error.message}`;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** submit(), waiting and trying again while the server says this key is sending too fast. */
async function submitPaced(kind, body) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await submit(kind, body);
    } catch (error) {
      if (!(error instanceof Refused && error.code === "rate_limited") || attempt >= 20) throw error;
      await pause(1000);
    }
  }
}

/** A prepare mutation's Draft {kind, body}, or ApiError with the refusal. */
async function draft(query, variables, field) {
  const answer = (await graphql(query, variables))[field];
  if (answer.__typename !== "Draft") throw new ApiError(answer.code, answer.message);
  return answer;
}

function option(value, label) {
  return el("option", { value }, label);
}

function convenesGroup(slug) {
  return board || convenes.some((g) => g.slug === slug);
}

// ---- session registers

function registerRules() {
  return rules.filter((r) => r.approver === "organiser");
}

/** The members of working group `slug` (none for a register without a group). */
async function membersOf(slug) {
  if (!slug) return [];
  if (!groupMembers.has(slug)) {
    const found = await allNodes(
      `query ($g: String!, $after: String) { group(slug: $g) { members(first: 100, after: $after) { nodes { member } ${PAGE_INFO} } } }`,
      { g: slug }, (data) => data.group?.members);
    groupMembers.set(slug, found.map((m) => m.member));
  }
  return groupMembers.get(slug);
}

async function showAttendees() {
  const group = $("register-group").value;
  const inGroup = new Set(await membersOf(group));
  const everyone = [...names.keys()].filter((id) => id !== me.member);
  const box = (id) => el("div", { class: "choice" },
    el("input", { type: "checkbox", id: `attendee-${id}`, value: id, name: "attendee" }),
    el("label", { class: "inline", for: `attendee-${id}` }, nameOf(names, id)));
  const sorted = (ids) => ids.sort((a, b) => nameOf(names, a).localeCompare(nameOf(names, b)));
  const members = sorted(everyone.filter((id) => inGroup.has(id)));
  const others = sorted(everyone.filter((id) => !inGroup.has(id)));
  $("tick-group").hidden = members.length === 0;
  $("attendee-list").replaceChildren(
    members.length ? el("p", { class: "hint" }, "Members of the group") : "", ...members.map(box),
    others.length ? el("p", { class: "hint" }, members.length ? "Everyone else" : "Members") : "", ...others.map(box));
}

function registerBody() {
  const activity = $("register-activity").value;
  const heldOn = $("register-held-on").value;
  const title = $("register-title").value.trim();
  const attendees = [...document.querySelectorAll('input[name="attendee"]:checked')].map((b) => b.value).sort();
  if (!activity) throw new ApiError("bad_request", "Choose the activity.");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(heldOn)) throw new ApiError("bad_request", "Give the date the session was held.");
  if (title === "") throw new ApiError("bad_request", "Give the session a title.");
  if (attendees.length === 0) throw new ApiError("bad_request", "Tick at least one member who attended.");
  if (attendees.length > 500) throw new ApiError("bad_request", "A register holds at most 500 members.");
  const group = $("register-group").value;
  return { activity, held_on: heldOn, attendees, title, ...(group ? { group } : {}) };
}

async function recordRegister() {
  const result = $("register-result");
  let body;
  try {
    body = registerBody();
  } catch (error) {
    say(result, "bad", plain(error));
    return;
  }
  say(result, "wait", `Signing the register of ${body.attendees.length}…`);
  let receipt;
  try {
    receipt = await submitPaced("credit.session_recorded", body);
  } catch (error) {
    say(result, "bad", `The register was not recorded: ${plain(error)}`);
    return;
  }
  const { session } = await graphql("query ($s: Int!) { session(seq: $s) { ruleVersion } }", { s: receipt.seq });
  const rule = rules.find((r) => r.activity === body.activity);
  const refused = [];
  for (const [i, member] of body.attendees.entries()) {
    say(result, "wait", `Register recorded (entry ${receipt.seq}). Signing award ${i + 1} of ${body.attendees.length}…`);
    try {
      await submitPaced("credit.awarded", {
        member, credits: rule.credits, activity: body.activity, rule_version: session.ruleVersion,
        quantity: 1, basis: { session: receipt.seq },
      });
    } catch (error) {
      refused.push(`${nameOf(names, member)}: ${plain(error)}`);
    }
  }
  const awarded = body.attendees.length - refused.length;
  result.className = `status ${refused.length ? "bad" : "ok"}`;
  result.replaceChildren(
    `Register recorded (entry ${receipt.seq}); ${awarded} of ${body.attendees.length} awarded ${rule.credits} credits each.`,
    refused.length ? el("ul", {}, refused.map((line) => el("li", {}, `Not awarded, ${line}`))) : "");
  $("register-form").reset();
  $("register-held-on").value = new Date().toISOString().slice(0, 10);
}

// ---- claims for a convenor

function approvesClaim(claim) {
  const rule = rules.find((r) => r.activity === claim.activity);
  if (!rule || claim.member === me.member) return false;
  if (rule.approver === "board") return board;
  if (rule.approver !== "convenor") return false;
  return board || claim.group === null || convenesGroup(claim.group);
}

async function decide(claim, approve, reason) {
  const box = $("claims-status");
  say(box, "wait", `${approve ? "Approving" : "Declining"} claim ${claim.seq}…`);
  try {
    if (approve) {
      const { credits, receipt } = await awardClaim(claim);
      say(box, "ok", `Claim ${claim.seq} approved: ${credits} credits to ${nameOf(names, claim.member)} (entry ${receipt.seq}).`);
    } else {
      const receipt = await declineClaim(claim, reason);
      say(box, "ok", `Claim ${claim.seq} declined (${DECLINE_REASONS[reason]}; entry ${receipt.seq}).`);
    }
    await showClaims();
  } catch (error) {
    say(box, "bad", `Claim ${claim.seq} is unchanged: ${plain(error)}`);
  }
}

function claimActions(claim) {
  return claimControls(claim, nameOf(names, claim.member), "Approve", {
    approve: () => decide(claim, true),
    decline: (reason) => decide(claim, false, reason),
  });
}

async function showClaims() {
  const open = await allNodes(
    `query ($after: String) { claims(status: "open", first: 100, after: $after) { nodes { seq member activity quantity doneOn group ruleVersion } ${PAGE_INFO} } }`,
    {}, (data) => data.claims);
  const waiting = open.filter(approvesClaim);
  $("claims").replaceChildren(waiting.length
    ? table("Claims you may approve", ["Claim", "From", "Activity", "Units", "Done on", "Group", "Approve or decline"],
      waiting.map((c) => [String(c.seq), nameOf(names, c.member), c.activity, String(c.quantity), c.doneOn, c.group ?? "(any)", claimActions(c)]), [0, 3])
    : el("p", {}, "No claims are waiting for you."));
}

// ---- proposals

function proposalDraft() {
  const method = $("propose-method").value;
  const title = $("propose-title").value.trim();
  const bodyText = $("propose-text").value.trim();
  const options = MOTIONS.has(method) ? [] : $("propose-options").value.split("\n").map((o) => o.trim()).filter(Boolean);
  const closes = new Date($("propose-closes").value);
  if (title === "") throw new ApiError("bad_request", "Give the proposal a title.");
  if (bodyText === "") throw new ApiError("bad_request", "Write what the proposal asks.");
  if (!MOTIONS.has(method) && options.length < 2) throw new ApiError("bad_request", "Give at least two options, one per line.");
  if (Number.isNaN(closes.getTime())) throw new ApiError("bad_request", "Give the date and time voting closes.");
  if (closes.getTime() <= Date.now()) throw new ApiError("bad_request", "Voting must close in the future.");
  return {
    group: $("propose-group").value, title, bodyText, method, options,
    closesAt: closes.toISOString().replace(/\.\d{3}Z$/, "Z"),
    quorum: $("propose-quorum").value.trim() || "0/1",
    threshold: $("propose-threshold").value.trim() || "1/2",
    tieRule: $("propose-tie").value,
    hidden: $("propose-hidden").checked,
    ...(method === "dot" ? { dots: 5 } : {}),
    ...(method === "approval" ? { maxChoices: options.length } : {}),
  };
}

async function openProposal() {
  const box = $("propose-result");
  say(box, "wait", "Preparing the proposal…");
  try {
    const made = await draft(
      `mutation ($d: ProposalDraftInput!) {
        prepareProposal(draft: $d) { __typename ... on Draft { kind body } ... on Denied { code message } }
      }`, { d: proposalDraft() }, "prepareProposal");
    say(box, "wait", "Signing the opening…");
    const receipt = await submit(made.kind, made.body);
    box.className = "status ok";
    box.replaceChildren(`Proposal opened (entry ${receipt.seq}) for ${made.body.electorate.length} voters: `,
      el("a", { href: `/proposals/${receipt.seq}` }, "see it"), ".");
    $("propose-form").reset();
    await showProposals();
  } catch (error) {
    say(box, "bad", `The proposal was not opened: ${plain(error)}`);
  }
}

/** Why a proposal may close now: its closing time has come, all have voted, or early. */
function closeReason(p) {
  if (Date.parse(p.closesAt) <= Date.now()) return "closing_time";
  return p.reminder.notVoted.length === 0 ? "all_voted" : "early";
}

const CLOSE_LABELS = {
  closing_time: "Close it: the closing time has come",
  all_voted: "Close it: everyone has voted",
  early: "Close it now, before its closing time",
};

async function closeProposal(p) {
  const box = $("proposals-status");
  const reason = closeReason(p);
  say(box, "wait", `Closing “${p.title}”…`);
  try {
    const made = await draft(
      `mutation ($p: Int!, $r: String!) {
        prepareClose(proposal: $p, reason: $r) { __typename ... on Draft { kind body } ... on Denied { code message } }
      }`, { p: p.seq, r: reason }, "prepareClose");
    const receipt = await submit(made.kind, made.body);
    say(box, "ok", `“${p.title}” is closed (entry ${receipt.seq}). Record its decision below.`);
    await showProposals();
  } catch (error) {
    say(box, "bad", `“${p.title}” is still open: ${plain(error)}`);
  }
}

async function recordDecision(p, text, reviewOn) {
  const box = $("proposals-status");
  say(box, "wait", `Counting and recording the decision on “${p.title}”…`);
  try {
    if (text.trim() === "") throw new ApiError("bad_request", "Write the outcome statement first.");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(reviewOn)) throw new ApiError("bad_request", "Give the date to review the decision.");
    const made = await draft(
      `mutation ($p: Int!, $t: String!, $r: Date!) {
        prepareDecision(proposal: $p, statementText: $t, reviewOn: $r) { __typename ... on Draft { kind body } ... on Denied { code message } }
      }`, { p: p.seq, t: text.trim(), r: reviewOn }, "prepareDecision");
    const receipt = await submit(made.kind, made.body);
    box.className = "status ok";
    box.replaceChildren(`The decision on “${p.title}” is recorded (entry ${receipt.seq}): `,
      el("a", { href: `/proposals/${p.seq}` }, "see the result"), ".");
    await showProposals();
  } catch (error) {
    say(box, "bad", `No decision recorded: ${plain(error)}`);
  }
}

function proposalCard(p) {
  const heading = el("h3", {}, el("a", { href: `/proposals/${p.seq}` }, p.title));
  const where = p.group === ASSEMBLY ? "The assembly" : groupNames.get(p.group) ?? p.group;
  const facts = el("p", {}, `${where}; ${p.status === "open" ? "closes" : "closed"} ${when(p.closesAt)}; ${p.reminder.voted} of ${p.reminder.electorate} have voted.`);
  if (p.status === "open") {
    const waiting = p.reminder.notVoted.map((id) => nameOf(names, id));
    return el("article", { class: "proposal-card" }, heading, facts,
      el("p", {}, waiting.length ? `Not voted yet: ${waiting.join(", ")}.` : "Everyone has voted."),
      el("button", { type: "button", class: "small", "aria-label": `${CLOSE_LABELS[closeReason(p)]}: “${p.title}”`, onclick: () => closeProposal(p) },
        CLOSE_LABELS[closeReason(p)]));
  }
  const id = `decision-${p.seq}`;
  const year = new Date(Date.now() + 365 * 86400000).toISOString().slice(0, 10);
  const text = el("textarea", { id: `${id}-text` });
  const review = el("input", { type: "date", id: `${id}-review`, value: year });
  const form = el("form", { novalidate: true },
    el("label", { for: `${id}-text` }, "The outcome statement"), text,
    el("label", { for: `${id}-review` }, "Review the decision on"), review,
    el("button", { type: "submit" }, "Count and record the decision"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    recordDecision(p, text.value, review.value);
  });
  return el("article", { class: "proposal-card" }, heading, facts, form);
}

async function showProposals() {
  const fields = "seq group title status closesAt reminder { electorate voted notVoted }";
  const query = `query ($s: String!, $after: String) { proposals(status: $s, first: 100, after: $after) { nodes { ${fields} } ${PAGE_INFO} } }`;
  const [open, closed] = await Promise.all(["open", "closed"].map((s) => allNodes(query, { s }, (data) => data.proposals)));
  const mine = [...open, ...closed].filter((p) => convenesGroup(p.group));
  $("proposals").replaceChildren(...(mine.length ? mine.map(proposalCard) : [el("p", {}, "No proposal of yours is open or waiting for its decision.")]));
}

// ---- the page

async function start() {
  me = await ensureSession();
  showWho(me);
  if (!me) {
    status.className = "status wait";
    status.replaceChildren("Sign in with your key first: ", el("a", { href: "/join" }, "go to Your key"), ".");
    return;
  }
  const data = await graphql(
    `query ($m: String!) {
      member(id: $m) { roles groups { group role } }
      groups(first: 100) { nodes { slug name } }
      ruleTable { version rules { activity label credits approver } }
    }`, { m: me.member });
  board = data.member.roles.includes("board");
  const mineAsConvenor = new Set(data.member.groups.filter((g) => g.role === "convenor").map((g) => g.group));
  convenes = data.groups.nodes.filter((g) => board || mineAsConvenor.has(g.slug));
  groupNames = new Map(data.groups.nodes.map((g) => [g.slug, g.name]));
  if (convenes.length === 0 && !board) {
    say(status, "bad", "This page is for convenors and the board, and you convene no working group.");
    return;
  }
  rules = data.ruleTable?.rules ?? [];
  version = data.ruleTable?.version ?? 0;
  names = await memberNames();
  $("register-group").replaceChildren(...convenes.map((g) => option(g.slug, g.name)),
    ...(board ? [option("", "No group (a co-op-wide session)")] : []));
  $("register-activity").replaceChildren(...registerRules().map((r) => option(r.activity, `${r.label} (${r.credits} credits)`)));
  $("register-held-on").value = new Date().toISOString().slice(0, 10);
  $("propose-group").replaceChildren(...(board ? [option(ASSEMBLY, "The whole co-op (assembly)")] : []),
    ...convenes.map((g) => option(g.slug, g.name)));
  await showAttendees();
  $("register-group").addEventListener("change", () => showAttendees().catch((error) => say(status, "bad", plain(error))));
  $("tick-group").addEventListener("click", async () => {
    const inGroup = new Set(await membersOf($("register-group").value));
    for (const box of document.querySelectorAll('input[name="attendee"]')) if (inGroup.has(box.value)) box.checked = true;
  });
  $("register-form").addEventListener("submit", (event) => {
    event.preventDefault();
    recordRegister();
  });
  const fitOptions = () => { $("options-field").hidden = MOTIONS.has($("propose-method").value); };
  $("propose-method").addEventListener("change", fitOptions);
  fitOptions();
  $("propose-form").addEventListener("submit", (event) => {
    event.preventDefault();
    openProposal();
  });
  $("convene").hidden = false;
  await Promise.all([showClaims(), showProposals()]);
  const what = board ? "a board member (you convene every group and the assembly)" : `convenor of ${convenes.map((g) => g.name).join(", ")}`;
  say(status, "ok", `Signed in as ${me.handle ?? me.member}, ${what}. Rule table version ${version}.`);
}

start().catch((error) => say(status, "bad", plain(error)));
