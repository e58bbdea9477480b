// claims.js: what a claim's approver may do with it, shared by the member's queue and the
// convenor's page: approve (or confirm) it, signing its credit.awarded, or decline it with one
// of the reasons docs/credits.md names, each control labelled with the claim and who made it.

import { el } from "./dom.js";
import { graphql } from "./session.js";
import { Refused, submit } from "./statement.js";

export const DECLINE_REASONS = {
  not_recognised: "Not work the rules recognise",
  wrong_details: "The details are wrong",
  insufficient_evidence: "Not enough evidence",
  duplicate: "A duplicate of another claim",
};

/**
 * The controls for one claim: `verb` (Confirm, Approve) calls `approve()`; Decline calls
 * `decline(reason)` with the reason chosen beside it. Both are disabled while either runs.
 */
export function claimControls(claim, who, verb, { approve, decline }) {
  const name = `claim ${claim.seq} by ${who}`;
  const reason = el("select", { "aria-label": `Reason to decline ${name}` },
    Object.entries(DECLINE_REASONS).map(([value, label]) => el("option", { value }, label)));
  const buttons = [];
  const run = (act) => async () => {
    for (const b of buttons) b.disabled = true;
    try {
      await act();
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  };
  buttons.push(
    el("button", { type: "button", class: "small", "aria-label": `${verb} ${name}`, onclick: run(approve) }, verb),
    el("button", { type: "button", class: "small secondary", "aria-label": `Decline ${name}`, onclick: run(() => decline(reason.value)) }, "Decline"),
  );
  return el("div", { class: "claim-controls" }, buttons[0], " ", reason, " ", buttons[1]);
}

/**
 * Sign the award of an open `claim` ({seq, member, activity, quantity, ruleVersion}) under
 * its rule table version; returns {credits, receipt}. A refusal throws Refused.
 */
export async function awardClaim(claim) {
  const { ruleTable } = await graphql(
    "query ($v: Int!) { ruleTable(version: $v) { rules { activity credits } } }", { v: claim.ruleVersion });
  const rule = ruleTable?.rules.find((r) => r.activity === claim.activity);
  if (!rule) throw new Refused("unknown_activity", `Rule table version ${claim.ruleVersion} has no ${claim.activity}.`);
  const credits = rule.credits * claim.quantity;
  const receipt = await submit("credit.awarded", {
    member: claim.member,
    credits,
    activity: claim.activity,
    rule_version: claim.ruleVersion,
    quantity: claim.quantity,
    basis: { claim: claim.seq },
  });
  return { credits, receipt };
}

/** Sign the decline of an open claim with `reason`; returns the receipt. */
export function declineClaim(claim, reason) {
  return submit("credit.declined", { claim: claim.seq, reason });
}
