// statement.js: build a statement, sign it in this browser and submit it.
//
// A statement is the six fields of docs/formats.md §2 (origin, kind, body, nonce, issued_at,
// key_id); the signature is Ed25519 over b"coopledger/statement/v1\n" followed by its RFC 8785
// canonical bytes (canonical.js). It goes to the kind's GraphQL mutation, which answers a
// refusal as data (a Refusal with its code and plain message), not as an HTTP error; the
// server sees only the statement and its signature. A refusal throws Refused; nothing was
// appended.

import { statementBytes } from "./canonical.js";
import { loadKey, sign, toBase64 } from "./keys.js";
import { ApiError, graphql, logInfo } from "./session.js";

export const DOMAIN = "coopledger/statement/v1\n";

export class Refused extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** A fresh nonce: 16 random bytes, base64url without padding (22 characters). */
export function nonce() {
  return toBase64(crypto.getRandomValues(new Uint8Array(16)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The statement of `kind` with `body`, for the stored key, issued now. */
export async function buildStatement(kind, body, record) {
  const { origin } = await logInfo();
  return { origin, kind, body, nonce: nonce(), issued_at: new Date().toISOString(), key_id: record.keyId };
}

/** The exact message a member signs for `statement`. */
export function signingMessage(statement) {
  const prefix = new TextEncoder().encode(DOMAIN);
  const canonical = statementBytes(statement);
  const message = new Uint8Array(prefix.length + canonical.length);
  message.set(prefix);
  message.set(canonical, prefix.length);
  return message;
}

/** Sign `statement` with the stored key: the submission {statement, signature}. */
export async function signStatement(statement, record) {
  return { statement, signature: toBase64(await sign(record, signingMessage(statement))) };
}

// Each kind's GraphQL mutation and its success type (docs/api.md, "Signed acts").
export const MUTATIONS = {
  "credit.rules_adopted": ["adoptRuleTable", "RuleTableAccepted"],
  "credit.session_recorded": ["recordSession", "SessionAccepted"],
  "credit.claimed": ["claimCredit", "ClaimAccepted"],
  "credit.declined": ["declineClaim", "ClaimAccepted"],
  "credit.awarded": ["awardCredit", "AwardAccepted"],
  "credit.reversed": ["reverseAward", "AwardAccepted"],
  "credit.adjusted": ["adjustAward", "AwardAccepted"],
  "credit.disputed": ["disputeAward", "DisputeAccepted"],
  "credit.dispute_resolved": ["resolveDispute", "DisputeAccepted"],
  "member.admitted": ["admitMember", "MemberAccepted"],
  "member.key_rotated": ["rotateKey", "MemberAccepted"],
  "member.key_revoked": ["revokeKey", "MemberAccepted"],
  "governance.group.created": ["createGroup", "GroupAccepted"],
  "governance.group.join_requested": ["requestToJoin", "GroupAccepted"],
  "governance.group.join_approved": ["approveJoin", "JoinRequestAccepted"],
  "governance.group.join_declined": ["declineJoin", "JoinRequestAccepted"],
  "governance.group.left": ["leaveGroup", "GroupAccepted"],
  "governance.group.role_set": ["setRole", "GroupAccepted"],
  "governance.proposal.opened": ["openProposal", "ProposalAccepted"],
  "governance.vote.cast": ["castVote", "ProposalAccepted"],
  "governance.proposal.closed": ["closeProposal", "ProposalAccepted"],
  "governance.decision.recorded": ["recordDecision", "ProposalAccepted"],
};

/**
 * Build, sign and submit a statement through its GraphQL mutation; returns the receipt
 * {seq, leafHash, checkpoint: {size, root}}. A refusal throws Refused(code, message).
 * `personal` ({handle, name, email}, kept off the log) goes with a member.admitted statement.
 */
export async function submit(kind, body, { personal } = {}) {
  const record = await loadKey();
  if (record === null) throw new Refused("no_key", "There is no key in this browser: make or import one first.");
  const [field, accepted] = MUTATIONS[kind] ?? [];
  if (!field) throw new Refused("unknown_kind", `This page cannot submit a ${kind} statement.`);
  const { statement, signature } = await signStatement(await buildStatement(kind, body, record), record);
  const input = {
    statement: {
      origin: statement.origin,
      kind: statement.kind,
      body: statement.body,
      nonce: statement.nonce,
      issuedAt: statement.issued_at,
      keyId: statement.key_id,
    },
    signature,
  };
  const variables = { s: input };
  let declared = "$s: SignedStatementInput!";
  let passed = "statement: $s";
  if (personal !== undefined) {
    variables.p = personal;
    declared += ", $p: PersonalDataInput";
    passed += ", personal: $p";
  }
  const query = `mutation (${declared}) {
    ${field}(${passed}) {
      __typename
      ... on ${accepted} { receipt { seq leafHash checkpoint { size root } } }
      ... on Refusal { code message }
    }
  }`;
  let answer;
  try {
    answer = (await graphql(query, variables, { auth: false }))[field];
  } catch (error) {
    if (error instanceof ApiError) throw new Refused(error.code, error.message);
    throw error;
  }
  if (answer.__typename !== accepted) throw new Refused(answer.code, answer.message);
  return answer.receipt;
}
