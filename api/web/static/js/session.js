// session.js: GraphQL calls, and signing in with the browser's key.
//
// Sign-in is the server's Ed25519 challenge-response (docs/api.md, "Logging in"): ask a
// challenge for the key ID, sign b"coopledger/login/v1\n" + origin + b"\n" + challenge, built
// here from the log's origin (never bytes the server sends), and trade the signature for a
// token. The token lives in sessionStorage (this tab, until it closes or the token expires).

import { loadKey, setMember, sign, toBase64 } from "./keys.js";

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const TOKEN = "coopledger.session";
const encoder = new TextEncoder();
let info = null;

/** Run a GraphQL document; returns `data`, or throws ApiError with the server's code. */
export async function graphql(query, variables = {}, { auth = true } = {}) {
  const headers = { "Content-Type": "application/json" };
  const current = auth ? session() : null;
  if (current) headers.Authorization = `Bearer ${current.token}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError("network", "The server did not answer. Check your connection and try again.");
  }
  const reply = await response.json().catch(() => ({}));
  if (reply.errors?.length) {
    const [first] = reply.errors;
    throw new ApiError(first.extensions?.code ?? "error", first.message);
  }
  if (!response.ok || !reply.data) {
    throw new ApiError(reply.error?.code ?? "error", reply.error?.message ?? `The server answered ${response.status}.`);
  }
  return reply.data;
}

/** The log's origin and time window (logInfo), asked once per page. */
export async function logInfo() {
  info ??= (await graphql("{ logInfo { origin windowSeconds } }", {}, { auth: false })).logInfo;
  return info;
}

/** The current sign-in ({token, member, keyId, expiresAt}), or null when none or expired. */
export function session() {
  try {
    const value = JSON.parse(sessionStorage.getItem(TOKEN));
    if (value && Date.parse(value.expiresAt) > Date.now() + 5000) return value;
  } catch {
    // no session
  }
  return null;
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
}

/** Sign in with the stored key. Throws ApiError("login_refused", ...) for a key no member holds. */
export async function signIn(record) {
  const { origin } = await logInfo();
  const asked = await graphql(
    "mutation ($k: String!) { requestLoginChallenge(keyId: $k) { challenge expiresAt } }",
    { k: record.keyId }, { auth: false });
  const { challenge } = asked.requestLoginChallenge;
  const message = encoder.encode(`coopledger/login/v1\n${origin}\n${challenge}`);
  const signature = toBase64(await sign(record, message));
  const data = await graphql(
    `mutation ($k: String!, $c: String!, $s: String!) {
      login(keyId: $k, challenge: $c, signature: $s) {
        __typename
        ... on LoginSession { token expiresAt member { id handle } }
        ... on Refusal { code message }
      }
    }`,
    { k: record.keyId, c: challenge, s: signature }, { auth: false });
  const answer = data.login;
  if (answer.__typename !== "LoginSession") throw new ApiError(answer.code, answer.message);
  if (!answer.member) throw new ApiError("login_refused", "This key is an auditor's key, not a member's.");
  const value = {
    token: answer.token,
    expiresAt: answer.expiresAt,
    member: answer.member.id,
    handle: answer.member.handle,
    keyId: record.keyId,
  };
  sessionStorage.setItem(TOKEN, JSON.stringify(value));
  await setMember(answer.member.id);
  return value;
}

/** The current sign-in, signing in again with the stored key when the token has expired. */
export async function ensureSession() {
  const current = session();
  if (current) return current;
  const record = await loadKey();
  if (record === null) return null;
  try {
    return await signIn(record);
  } catch (error) {
    if (error instanceof ApiError && error.code === "login_refused") return null;
    throw error;
  }
}

/** Show who is signed in, in the layout's header (an aria-live region). */
export function showWho(current) {
  const who = document.getElementById("who");
  if (!who) return;
  who.textContent = current ? `Signed in as ${current.handle ?? current.member}` : "";
}
