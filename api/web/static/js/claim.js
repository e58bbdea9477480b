// claim.js: the claim page (/claim). A form over the rule table in force (activities that are
// claimed, not put on a register), the members and the working groups; it checks what it can,
// builds the credit.claimed body (docs/formats.md §6), signs it with the browser's key and
// submits it. The evidence never leaves the browser: only its SHA-256 goes on the log.

import { toHex } from "./keys.js";
import { ApiError, ensureSession, graphql, showWho } from "./session.js";
import { Refused, submit } from "./statement.js";

const $ = (id) => document.getElementById(id);
const status = $("claim-status");
const SLUG = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const WINDOW_DAYS = 90;
const APPROVERS = { counterparty: "the other member", convenor: "a convenor", board: "the board" };
let rules = new Map();

function say(kind, text) {
  status.className = `status ${kind}`;
  status.textContent = text;
}

function option(value, label) {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

const isoDay = (d) => d.toISOString().slice(0, 10);

function rule() {
  return rules.get($("activity").value);
}

function fit() {
  const chosen = rule();
  $("bid-field").hidden = !(chosen && chosen.caps.perBid !== null);
  $("counterparty").required = chosen?.approver === "counterparty";
}

async function fingerprint() {
  const [file] = $("evidence-file").files;
  const text = $("description").value.trim();
  if (!file && text === "") return null;
  const bytes = file ? await file.arrayBuffer() : new TextEncoder().encode(text);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** The claim's body, or a list of what is wrong with the form (field id, message). */
async function body(me) {
  const problems = [];
  const chosen = rule();
  if (!chosen) problems.push(["activity", "Choose an activity."]);
  const quantity = Number($("quantity").value);
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 1000 || !/^[0-9]+$/.test($("quantity").value)) {
    problems.push(["quantity", "The number of units must be a whole number from 1 to 1000."]);
  }
  const done = $("done-on").value;
  const today = new Date();
  const earliest = new Date(today.getTime() - WINDOW_DAYS * 86400000);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(done)) problems.push(["done-on", "Give the date you did it."]);
  else if (done > isoDay(today)) problems.push(["done-on", "The date cannot be in the future."]);
  else if (done < isoDay(earliest)) problems.push(["done-on", `The date can be at most ${WINDOW_DAYS} days ago.`]);
  const counterparty = $("counterparty").value;
  if (chosen?.approver === "counterparty" && !counterparty) {
    problems.push(["counterparty", "Choose the other member, who confirms this activity."]);
  }
  if (counterparty === me.member) problems.push(["counterparty", "You cannot confirm your own claim: choose another member."]);
  const bid = $("bid").value.trim();
  if (!$("bid-field").hidden && !SLUG.test(bid)) {
    problems.push(["bid", "Name the bid in lower-case letters, digits, dots and dashes, such as retrofit-lot-2."]);
  }
  const evidence = await fingerprint();
  if (evidence === null) problems.push(["description", "Describe what you did, or choose an evidence file."]);
  if (problems.length) return { problems };
  const claim = { activity: chosen.activity, quantity, evidence_sha256: evidence, done_on: done };
  if (counterparty) claim.counterparty = counterparty;
  if (!$("bid-field").hidden) claim.bid = bid;
  if ($("group").value) claim.group = $("group").value;
  return { claim };
}

function mark(problems) {
  for (const input of $("claim-form").querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const [id] of problems) $(id).setAttribute("aria-invalid", "true");
  if (problems.length) $(problems[0][0]).focus();
}

async function main() {
  const me = await ensureSession();
  showWho(me);
  if (!me) {
    status.className = "status wait";
    status.replaceChildren("Sign in with your key first: ");
    const link = document.createElement("a");
    link.href = "/join";
    link.textContent = "go to Your key";
    status.append(link, ".");
    return;
  }
  const data = await graphql(`{
    ruleTable { version rules { activity label credits approver caps { perMemberMonth perPairMonth perBid } } }
    members(first: 100) { nodes { id handle } }
    groups(first: 100) { nodes { slug name } }
  }`);
  const claimable = data.ruleTable.rules.filter((r) => r.approver !== "organiser");
  rules = new Map(claimable.map((r) => [r.activity, r]));
  $("activity").replaceChildren(...claimable.map((r) =>
    option(r.activity, `${r.label}: ${r.credits} credit${r.credits === 1 ? "" : "s"} a unit, confirmed by ${APPROVERS[r.approver] ?? r.approver}`)));
  $("counterparty").replaceChildren(option("", "No one (a convenor or the board approves)"),
    ...data.members.nodes.filter((m) => m.id !== me.member)
      .map((m) => option(m.id, m.handle ? `${m.handle} (${m.id})` : m.id)));
  $("group").replaceChildren(option("", "None"), ...data.groups.nodes.map((g) => option(g.slug, g.name)));
  const today = new Date();
  $("done-on").value = isoDay(today);
  $("done-on").max = isoDay(today);
  $("done-on").min = isoDay(new Date(today.getTime() - WINDOW_DAYS * 86400000));
  $("activity").addEventListener("change", fit);
  fit();
  $("claim-form").hidden = false;
  say("wait", `Rule table version ${data.ruleTable.version}. Fill in the form, then sign and send it.`);

  $("claim-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.submitter ?? $("claim-form").querySelector("button[type=submit]");
    const { claim, problems } = await body(me);
    mark(problems ?? []);
    if (problems) {
      say("bad", `The claim was not sent. ${problems.map(([, message]) => message).join(" ")}`);
      return;
    }
    button.disabled = true;
    say("wait", "Signing and sending your claim…");
    try {
      const receipt = await submit("credit.claimed", claim);
      const who = claim.counterparty ? "the other member confirms it" : "a convenor or the board approves it";
      say("ok", `Claim sent: entry ${receipt.seq} of the log. Credits are awarded when ${who}.`);
      $("description").value = "";
      $("evidence-file").value = "";
    } catch (error) {
      if (error.code === "network") {
        say("bad", "The server did not answer, so the claim may or may not be logged. Look at My credits before sending it again.");
      } else {
        const why = error instanceof Refused || error instanceof ApiError ? error.message : String(error);
        say("bad", `The claim was refused, and nothing was logged: ${why}`);
      }
    } finally {
      button.disabled = false;
    }
  });
}

main().catch((error) => say("bad", `This page could not load: ${error.message}`));
