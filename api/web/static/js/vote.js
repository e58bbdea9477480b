// Casting a ballot: the signed-in member's `governance.vote.cast`, signed in this browser.
// On a hidden proposal the ballot is sealed here first (seal.js): only the proposal's key,
// published at the close, opens it.
import { ensureSession } from "./session.js";
import { Refused, submit } from "./statement.js";
import { sealBallot } from "./seal.js";

export async function castBallot(proposal, ballot) {
  const current = await ensureSession();
  if (!current) {
    throw new Refused("no_key", "Sign in first: open “My credits” and make or import your key.");
  }
  if (!proposal.electorate.includes(current.member)) {
    throw new Refused("not_eligible", "You are not in this proposal's electorate, so you cannot vote in it.");
  }
  const body = proposal.hidden
    ? { proposal: proposal.seq, sealed: await sealBallot(proposal, current.member, ballot) }
    : { proposal: proposal.seq, ballot };
  return submit("governance.vote.cast", body);
}
