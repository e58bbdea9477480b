// board.js: the board's page (/board). Invite members and admit them once their browser has
// made a key (docs/api.md "Invitations"), reverse an award as the second signer, erase a
// member's personal data, adopt a rule table through its decision. Off-log acts (invite,
// list, erase) use the board member's sign-in token; acts on the log are statements signed
// here with the browser's key (statement.js), refused with the server's reason.

import { canonicalBytes, CanonicalError } from "./canonical.js";
import { el, table, when } from "./dom.js";
import { toHex } from "./keys.js";
import { ApiError, ensureSession, graphql, showWho } from "./session.js";
import { Refused, submit } from "./statement.js";

const $ = (id) => document.getElementById(id);
const status = $("board-status");
const STATUS = {
  open: "open: waiting for them to make a key",
  accepted: "key made: ready to admit",
  admitted: "admitted",
  expired: "expired",
};
let me = null;
let award = null; // the award found for reversal

function say(kind, text) {
  status.className = `status ${kind}`;
  status.textContent = text;
}

function plain(error) {
  if (error instanceof Refused || error instanceof ApiError || error instanceof CanonicalError) return error.message;
  return `Something went wrong: ${error.message}`;
}

/** Run `act` for a form or button: say `busy`, then its message, or the refusal in plain words. */
async function acting(busy, act) {
  say("wait", busy);
  try {
    say("ok", await act());
  } catch (error) {
    say("bad", plain(error));
  }
}

function onSubmit(id, busy, act) {
  $(id).addEventListener("submit", (event) => {
    event.preventDefault();
    acting(busy, act);
  });
}

/** Data of an off-log mutation that answers a result or Denied {code, message}. */
function answered(data, field, type) {
  const answer = data[field];
  if (answer.__typename !== type) throw new ApiError(answer.code, answer.message);
  return answer;
}

const blank = (value) => (value.trim() === "" ? null : value.trim());

// ---- invitations

onSubmit("invite-form", "Making the invitation…", async () => {
  const days = Number($("invite-days").value);
  if (!Number.isInteger(days) || days < 1 || days > 90) throw new ApiError("bad_request", "An invitation stays open 1 to 90 days.");
  const invitation = {
    memberKind: $("invite-kind").value.trim(),
    borough: $("invite-borough").value.trim(),
    handle: blank($("invite-handle").value),
    name: blank($("invite-name").value),
    email: blank($("invite-email").value),
    board: $("invite-board").checked,
    days,
  };
  if (invitation.memberKind === "") throw new ApiError("bad_request", "Say what kind of member they are (for example sme or charity).");
  if (invitation.borough === "") throw new ApiError("bad_request", "Say which borough they are in.");
  const data = await graphql(
    `mutation ($i: InvitationInput!) {
      inviteMember(invitation: $i) {
        __typename
        ... on InvitationMade { token invitation { member } }
        ... on Denied { code message }
      }
    }`,
    { i: invitation });
  const made = answered(data, "inviteMember", "InvitationMade");
  $("invite-link").value = `${location.origin}/join?invite=${encodeURIComponent(made.token)}`;
  $("invite-made").hidden = false;
  $("invite-link").focus();
  $("invite-link").select();
  $("invite-form").reset();
  await showInvitations();
  return `Invitation made for ${invitation.handle ?? made.invitation.member}. Send them the link below.`;
});

$("copy-link").addEventListener("click", () =>
  acting("Copying…", async () => {
    await navigator.clipboard.writeText($("invite-link").value);
    return "The link is copied.";
  }));

function admitButton(invitation) {
  if (invitation.status !== "accepted") return "";
  const label = `Admit ${invitation.handle ?? invitation.member}`;
  return el("button", { type: "button", class: "small", onclick: () => acting(`Signing ${label}…`, () => admit(invitation)) }, label);
}

async function admit(invitation) {
  const receipt = await submit(
    "member.admitted",
    {
      member: invitation.member,
      public_key: invitation.publicKey,
      member_kind: invitation.memberKind,
      borough: invitation.borough,
      roles: invitation.roles,
    },
    { personal: { handle: invitation.handle, name: invitation.name, email: invitation.email } });
  await showInvitations();
  return `${invitation.handle ?? invitation.member} is admitted (entry ${receipt.seq}). They can sign in now.`;
}

async function showInvitations() {
  const data = await graphql(
    "{ invitations { member handle name email memberKind borough roles status publicKey keyId invitedBy expiresAt } }");
  const rows = data.invitations.map((i) => [
    i.handle ?? "", i.member, `${i.memberKind}, ${i.borough}${i.roles.length ? " (board)" : ""}`,
    STATUS[i.status] ?? i.status, i.keyId ?? "", when(i.expiresAt), admitButton(i),
  ]);
  $("invitations").replaceChildren(rows.length
    ? table("Invitations, the newest first", ["Short name", "Member ID", "Kind, borough", "Status", "Key ID", "Open until", "Admit"], rows)
    : el("p", {}, "No invitations yet."));
}

// ---- reversing an award

async function findAward() {
  const seq = Number($("reverse-award").value);
  if ($("reverse-award").value === "" || !Number.isInteger(seq) || seq < 0) throw new ApiError("bad_request", "Give the award's entry number.");
  const data = await graphql(
    "query ($s: Int!) { award(seq: $s) { seq member activity credits net approver activityOn reversedBy } }",
    { s: seq });
  award = data.award;
  if (award === null) throw new ApiError("not_found", `Entry ${seq} is not an award.`);
  const fact = (label, value) => el("div", {}, el("dt", {}, label), el("dd", {}, String(value)));
  $("award-facts").replaceChildren(
    fact("Member", award.member), fact("Activity", award.activity), fact("Done on", award.activityOn),
    fact("Credits awarded", award.credits), fact("Credits remaining", award.net), fact("Approved by", award.approver));
  $("award-facts").hidden = false;
  if (award.reversedBy !== null) return `Award ${seq} was reversed already, by entry ${award.reversedBy}.`;
  if (award.approver === me.member || award.member === me.member) {
    return `Award ${seq} found. You ${award.approver === me.member ? "approved" : "received"} it, so another board member must sign its reversal.`;
  }
  return `Award ${seq} found: a reversal takes back its ${award.net} remaining credits.`;
}

$("find-award").addEventListener("click", () => acting("Finding the award…", findAward));

onSubmit("reverse-form", "Signing the reversal…", async () => {
  if (award === null || String(award.seq) !== $("reverse-award").value) await findAward();
  if (award.reversedBy !== null) throw new Refused("conflict", `Award ${award.seq} was reversed already, by entry ${award.reversedBy}.`);
  const receipt = await submit("credit.reversed", { award: award.seq, credits: award.net, reason: $("reverse-reason").value });
  const seq = award.seq;
  award = null;
  $("reverse-form").reset();
  $("award-facts").hidden = true;
  return `Award ${seq} is reversed (entry ${receipt.seq}).`;
});

// ---- erasing personal data

onSubmit("erase-form", "Erasing…", async () => {
  const given = $("erase-member").value.trim();
  if (given === "") throw new ApiError("bad_request", "Give the member's ID or short name.");
  if (!$("erase-sure").checked) throw new ApiError("bad_request", "Tick the box to confirm first.");
  const found = await graphql(
    "query ($x: String!) { byId: member(id: $x) { id } byHandle: member(handle: $x) { id } }", { x: given });
  const member = (found.byId ?? found.byHandle)?.id;
  if (!member) throw new ApiError("not_found", `No member has the ID or short name ${given}.`);
  const data = await graphql(
    `mutation ($m: String!) {
      erasePersonalData(member: $m) {
        __typename
        ... on PersonalDataSaved { member erased }
        ... on Denied { code message }
      }
    }`,
    { m: member });
  answered(data, "erasePersonalData", "PersonalDataSaved");
  $("erase-form").reset();
  await showInvitations();
  return `The personal data of ${member} is erased; they are shown by member ID from now on.`;
});

// ---- adopting a rule table

async function tableDigest(table) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", canonicalBytes(table))));
}

function readTable() {
  let value;
  try {
    value = JSON.parse($("rules-table").value);
  } catch (error) {
    throw new ApiError("bad_request", `The table is not JSON: ${error.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError("bad_request", "The table must be a JSON object with version, monthly_cap_per_member and rules.");
  }
  delete value.decision;
  return value;
}

onSubmit("rules-form", "Signing the adoption…", async () => {
  const decision = Number($("rules-decision").value);
  if ($("rules-decision").value === "" || !Number.isInteger(decision) || decision < 0) {
    throw new ApiError("bad_request", "Give the entry number of the decision that adopts this table.");
  }
  const value = readTable();
  const digest = await tableDigest(value);
  const receipt = await submit("credit.rules_adopted", { ...value, decision });
  return `Rule table version ${value.version} is adopted (entry ${receipt.seq}; digest ${digest}).`;
});

$("propose-table").addEventListener("click", () =>
  acting("Opening the co-op's vote on the table…", async () => {
    const value = readTable();
    const digest = await tableDigest(value);
    const closes = new Date($("rules-closes").value);
    if (Number.isNaN(closes.getTime()) || closes.getTime() <= Date.now()) {
      throw new ApiError("bad_request", "Give a date and time in the future for the vote to close.");
    }
    const draft = {
      group: "assembly",
      title: `Adopt credit rule table version ${value.version}`,
      bodyText: `The co-op adopts this credit rule table, version ${value.version} (digest ${digest}):\n\n${JSON.stringify(value, null, 2)}`,
      method: "proposal",
      closesAt: closes.toISOString().replace(/\.\d{3}Z$/, "Z"),
      action: { type: "adopt_rule_table", version: value.version, digest },
    };
    const made = (await graphql(
      `mutation ($d: ProposalDraftInput!) {
        prepareProposal(draft: $d) { __typename ... on Draft { kind body } ... on Denied { code message } }
      }`, { d: draft })).prepareProposal;
    if (made.__typename !== "Draft") throw new ApiError(made.code, made.message);
    const receipt = await submit(made.kind, made.body);
    return `The co-op's vote on rule table version ${value.version} is open: proposal ${receipt.seq} (at /proposals/${receipt.seq}).`;
  }));

async function showDigest() {
  let text;
  try {
    text = `Its digest (what the decision's proposal must name): ${await tableDigest(readTable())}`;
  } catch (error) {
    text = plain(error);
  }
  $("rules-digest").textContent = text;
}

$("rules-table").addEventListener("input", showDigest);

async function showRuleTable() {
  const data = await graphql("{ ruleTable { version body } }", {}, { auth: false });
  if (data.ruleTable === null) return;
  const { decision: _, ...current } = data.ruleTable.body;
  $("rules-table").value = JSON.stringify({ ...current, version: data.ruleTable.version + 1 }, null, 2);
  await showDigest();
}

// ---- the page

async function start() {
  me = await ensureSession();
  showWho(me);
  if (!me) {
    status.className = "status wait";
    status.replaceChildren("Sign in with a board member's key first: ", el("a", { href: "/join" }, "go to Your key"), ".");
    return;
  }
  const data = await graphql("query ($m: String!) { member(id: $m) { roles } }", { m: me.member });
  if (!data.member?.roles.includes("board")) {
    say("bad", "This page is for the board, and you are not on it. Your own credits are on “My credits”.");
    return;
  }
  $("board").hidden = false;
  await Promise.all([showInvitations(), showRuleTable()]);
  say("ok", `Signed in as ${me.handle ?? me.member}, a board member.`);
}

start().catch((error) => say("bad", plain(error)));
