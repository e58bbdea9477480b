// A proposal: what it asks and under which rules; the ballot for its method while it is open;
// the count so far (unless hidden), kept live while it is open; after the close the result,
// the round-by-round transcript and the outcome statement.
import { graphql, memberNames, nameOf } from "./graphql.js";
import { el, say, table, when } from "./dom.js";
import { ballotForm } from "./ballot.js";
import { describeRounds } from "./transcript.js";
import { ensureSession, showWho } from "./session.js";

const seq = Number(location.pathname.split("/")[2]);
// While a proposal is open the page asks the log's size this often (a few bytes) and counts
// again only when the log has grown, and not while the tab is hidden.
const LIVE_SECONDS = 5;
const status = document.getElementById("proposal-status");

const METHODS = {
  proposal: "Motion (agree, abstain, disagree or block)",
  consent: "Consent (passes unless someone blocks)",
  single: "Single choice",
  approval: "Approval (approve any number of options)",
  irv: "Ranked choice, instant runoff",
  schulze: "Ranked choice, Schulze method",
  score: "Score each option",
  dot: "Dot vote",
};
const MOTION = ["Agree", "Abstain", "Disagree", "Block"];
const OUTCOMES = {
  passed: "Passed",
  failed: "Not passed",
  blocked: "Blocked",
  winner: "Decided",
  tie: "A tie, with no winner",
  no_support: "No option had any support",
  quorum_not_met: "Not decided: too few members voted (quorum not met)",
};

const QUERY = `query($seq: Int!) {
  proposal(seq: $seq) {
    seq group title opener method options hidden sealKey status opensAt closesAt loggedAt closeReason
    body bodySha256 electorate voterCount action
    rules { algorithm quorum threshold tieRule consent minChoices maxChoices dots maxScore }
    tally {
      __typename
      ... on Tally { final outcome winner passed counts ballots spoiled electorateSize quorumMet transcriptSha256 transcript }
      ... on ResultsHidden { message closesAt }
    }
    decision { seq outcome winner passed counts statement statementSha256 transcriptSha256 reviewOn }
  }
}`;

export async function showProposal() {
  const [data, names] = await Promise.all([graphql(QUERY, { seq }), memberNames()]);
  const p = data.proposal;
  if (!p) {
    say(status, "bad", `There is no proposal at entry ${location.pathname.split("/")[2]}.`);
    return;
  }
  document.title = `${p.title} · coopledger`;
  document.getElementById("proposal-title").textContent = p.title;
  const back = document.getElementById("proposal-back");
  back.replaceChildren(
    p.group === "assembly"
      ? "A decision of the whole co-op (the assembly)"
      : el("a", { href: `/groups/${encodeURIComponent(p.group)}` }, `Back to the group`),
  );
  showFacts(p, names);
  document.getElementById("proposal-body").replaceChildren(
    p.body === null ? el("p", {}, "The proposal's text is no longer kept.") : el("div", { class: "text" }, p.body),
  );
  if (p.status === "open") await showBallot(p);
  showTally(p);
  showDecision(p);
  status.replaceChildren();
  if (p.status === "open") keepCountLive();
}

let live = null;

/** Count again whenever the log grows, until the proposal is no longer open. */
function keepCountLive() {
  let size = null;
  const tick = async () => {
    if (document.hidden) return;
    try {
      const { checkpoint } = await graphql("{ checkpoint { size } }", {}, { auth: false });
      if (size !== null && checkpoint.size !== size) await refreshCount();
      size = checkpoint.size;
    } catch {
      // the server did not answer this time: the next tick asks again
    }
  };
  live = setInterval(tick, LIVE_SECONDS * 1000);
  tick();
}

function fact(term, value) {
  return el("div", {}, el("dt", {}, term), el("dd", {}, value));
}

function showFacts(p, names) {
  const closed = p.status !== "open";
  const r = p.rules;
  const settings = [];
  if (p.method === "approval") settings.push(`approve ${r.minChoices} to ${r.maxChoices ?? p.options.length}`);
  if (p.method === "dot") settings.push(`${r.dots} dots each`);
  if (p.method === "score") settings.push(`scores 0 to ${r.maxScore}`);
  if (p.method === "proposal") settings.push(`passes with more than ${r.threshold} of the votes`);
  const facts = [
    fact("Status", closed ? (p.status === "decided" ? "Decided" : "Closed") : "Open for voting"),
    fact("Method", METHODS[p.method] || p.method),
    fact(closed ? "Closed" : "Closes", when(p.closesAt)),
    fact("Opened by", nameOf(names, p.opener)),
    fact(closed ? "Voted" : "Voted so far", `${p.voterCount} of ${p.electorate.length} members`),
    fact("Quorum", r.quorum === "0/1" || r.quorum === "0" ? "none" : `${r.quorum} of the members`),
    fact("Ballots", p.hidden ? "Sealed: nobody sees them until the close" : "Plain, with a live count"),
    fact("Tie rule", r.tieRule === "seeded" ? "Seeded order from the log" : "None: a tie stays a tie"),
    settings.length ? fact("Settings", settings.join("; ")) : null,
    fact("Entry", el("a", { href: `/auditor?entry=${p.seq}` }, `${p.seq} (check it)`)),
  ];
  document.getElementById("proposal-facts").replaceChildren(...facts.filter(Boolean));
}

async function showBallot(p) {
  const section = document.getElementById("ballot-section");
  const form = ballotForm(p.method, p.options, p.rules);
  const current = await ensureSession().catch(() => null);
  showWho(current);
  document.getElementById("ballot-fields").replaceChildren(form.element);
  document.getElementById("ballot-intro").replaceChildren(
    el(
      "p",
      {},
      "Your latest ballot counts; you can change your vote until the close. ",
      p.hidden ? "Your ballot is sealed in this browser before it is sent: nobody can read it until the close." : "",
    ),
    current
      ? current.member && !p.electorate.includes(current.member)
        ? el("p", { class: "status bad" }, "You are not in this proposal's electorate, so you cannot vote in it.")
        : null
      : el("p", { class: "status wait" }, "To vote, first ", el("a", { href: "/join" }, "sign in with your key"), "."),
  );
  section.hidden = false;
  const result = document.getElementById("ballot-result");
  document.getElementById("ballot-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let ballot;
    try {
      ballot = form.value();
    } catch (error) {
      say(result, "bad", error.message);
      return;
    }
    const button = document.getElementById("ballot-submit");
    button.disabled = true;
    say(result, "wait", "Signing and sending your ballot…");
    try {
      const { castBallot } = await import("./vote.js");
      const receipt = await castBallot(p, ballot);
      say(result, "ok", `Your ballot is on the log at entry ${receipt.seq}.`);
      await refreshCount();
    } catch (error) {
      say(result, "bad", error.message);
    } finally {
      button.disabled = false;
    }
  });
}

async function refreshCount() {
  const [data, names] = await Promise.all([graphql(QUERY, { seq }), memberNames()]);
  const p = data.proposal;
  showFacts(p, names);
  showTally(p);
  if (p.status !== "open") {
    clearInterval(live);
    document.getElementById("ballot-section").hidden = true;
    showDecision(p);
  }
}

function optionNames(p) {
  return p.method === "proposal" || p.method === "consent" ? MOTION : p.options;
}

function showTally(p) {
  const box = document.getElementById("tally");
  const t = p.tally;
  if (t.__typename === "ResultsHidden") {
    box.replaceChildren(el("p", {}, `${t.message} The count is shown after ${when(t.closesAt)}.`));
    return;
  }
  const names = optionNames(p);
  const heading = {
    proposal: "Ballots of each answer",
    consent: "Ballots of each answer",
    single: "Votes for each option",
    approval: "Approvals of each option",
    irv: "First preferences",
    schulze: "First preferences",
    score: "Total score",
    dot: "Dots",
  }[p.method];
  const outcome = OUTCOMES[t.outcome] || t.outcome;
  const words = t.winner !== null ? `${p.options[t.winner]} wins` : outcome;
  box.replaceChildren(
    el(
      "p",
      { class: `status ${t.final ? (t.outcome === "passed" || t.outcome === "winner" ? "ok" : "bad") : "wait"}` },
      t.final ? `Result: ${words}.` : `Count so far (not final): ${words}.`,
    ),
    table(
      `${t.ballots} ballot(s) counted of ${t.electorateSize} members${t.spoiled ? `; ${t.spoiled} spoiled` : ""}`,
      ["Option", heading],
      names.map((name, i) => [t.winner === i ? `${name} (winner)` : name, t.counts[i]]),
      [1],
    ),
  );
  if (t.final) {
    const section = document.getElementById("transcript-section");
    document.getElementById("transcript").replaceChildren(
      describeRounds(t.transcript, p.method === "proposal" || p.method === "consent" ? MOTION : p.options),
      el("p", { class: "hint" }, "The transcript's SHA-256 is ", el("code", {}, t.transcriptSha256), ": anyone can recount it from the log."),
    );
    section.hidden = false;
  }
}

function showDecision(p) {
  if (!p.decision) return;
  const d = p.decision;
  document.getElementById("decision").replaceChildren(
    el("p", {}, `Recorded at entry `, el("a", { href: `/auditor?entry=${d.seq}` }, String(d.seq)), d.reviewOn ? `; to be reviewed on ${d.reviewOn}.` : "."),
    d.statement === null ? el("p", {}, "The statement's text is no longer kept.") : el("div", { class: "text" }, d.statement),
  );
  document.getElementById("decision-section").hidden = false;
}

try {
  await showProposal();
} catch (error) {
  say(status, "bad", `The proposal could not be shown: ${error.message}`);
}
