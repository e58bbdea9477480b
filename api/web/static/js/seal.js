// Sealed ballots (docs/governance.md, "Spoiled ballots"): the plaintext is the canonical JSON
// of {"ballot", "member", "proposal"}, sealed to the proposal's X25519 key with libsodium's
// crypto_box_seal (libsodium.js, vendored in /static/vendor/libsodium), and sent as base64.
import sodium from "/static/vendor/libsodium/libsodium-wrappers.mjs";
import { statementBytes } from "./canonical.js";
import { fromBase64, toBase64 } from "./keys.js";

export async function sealBallot(proposal, member, ballot) {
  await sodium.ready;
  const key = fromBase64(proposal.sealKey, 32, "the proposal's seal key");
  const plaintext = statementBytes({ ballot, member, proposal: proposal.seq });
  return toBase64(sodium.crypto_box_seal(plaintext, key));
}
