// C2SP signed notes and checkpoints (docs/formats.md §6, §8-§9), verified in the browser:
// a checkpoint's body (origin, size, base64 root, extension lines), the log's Ed25519 signature
// by a pinned vkey (`<name>+<hex key ID>+base64(0x01 || key)`), and witnesses' cosignature/v1
// lines (C2SP tlog-cosignature v1.0.1: vkey type 0x04, signed message
// "cosignature/v1\ntime <t>\n" + body, signature = key ID || 8-byte time || Ed25519 signature).
import { fromBase64 } from "./keys.js";

const encoder = new TextEncoder();
const LOG_TYPE = 0x01;
const COSIGN_TYPE = 0x04;

async function keyIdOf(name, type, key) {
  const data = new Uint8Array([...encoder.encode(name), 0x0a, type, ...key]);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data)).slice(0, 4);
}

/** A vkey string: {name, keyId (4 bytes), key (32 bytes), type, crypto (a WebCrypto key)}. */
export async function parseVkey(text, type = LOG_TYPE) {
  // name+hex+base64: the name and the hex hold no "+", the base64 may
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(String(text).trim());
  if (!match) throw new Error("This is not a key of the form name+8 hex digits+base64.");
  const [, name, hexId, b64] = match;
  const raw = fromBase64(b64, 33, "the key");
  if (raw[0] !== type) throw new Error(type === LOG_TYPE ? "This is not a log's Ed25519 key." : "This is not a witness's cosignature key.");
  const key = raw.slice(1);
  const keyId = await keyIdOf(name, type, key);
  const hex = [...keyId].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== hexId) throw new Error("The key's ID does not match its name and key.");
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
  return { name, keyId, key, type, crypto: cryptoKey, text: String(text).trim() };
}

/** Split a note into its body (ending in a newline) and its signature lines. */
export function splitNote(text) {
  const at = text.indexOf("\n\n");
  if (at < 0 || !text.endsWith("\n")) throw new Error("This is not a signed note.");
  const body = text.slice(0, at + 1);
  const lines = text.slice(at + 2, -1).split("\n");
  const signatures = lines.map((line) => {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!match) throw new Error("A signature line of the note is malformed.");
    const raw = fromBase64(match[2], undefined, "a signature");
    if (raw.length < 5) throw new Error("A signature of the note is too short.");
    return { name: match[1], keyId: raw.slice(0, 4), signature: raw.slice(4) };
  });
  return { body, signatures };
}

/** The checkpoint's body: {origin, size, root (32 bytes), extensions}. */
export function parseCheckpointBody(body) {
  const lines = body.slice(0, -1).split("\n");
  if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("This is not a checkpoint.");
  return { origin: lines[0], size: Number(lines[1]), root: fromBase64(lines[2], 32, "the root"), extensions: lines.slice(3) };
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Verify a checkpoint note signed by the log key `log` (from parseVkey); returns the
 * checkpoint {origin, size, root, body, text} or throws an Error saying what is wrong.
 */
export async function verifyCheckpoint(text, log) {
  const { body, signatures } = splitNote(text);
  const checkpoint = parseCheckpointBody(body);
  if (checkpoint.origin !== log.name) throw new Error(`The checkpoint is of the log “${checkpoint.origin}”, not of “${log.name}”.`);
  const mine = signatures.filter((s) => s.name === log.name && same(s.keyId, log.keyId));
  if (!mine.length) throw new Error("The checkpoint is not signed by the log's key.");
  for (const s of mine) {
    if (s.signature.length === 64 && (await crypto.subtle.verify("Ed25519", log.crypto, s.signature, encoder.encode(body)))) {
      return { ...checkpoint, body, text, signatures };
    }
  }
  throw new Error("The log's signature on the checkpoint does not verify.");
}

/** Each witness's verdict on `checkpoint` (from verifyCheckpoint): [{witness, ok, time, why}]. */
export async function verifyCosignatures(checkpoint, witnesses) {
  const verdicts = [];
  for (const w of witnesses) {
    const line = checkpoint.signatures.find((s) => s.name === w.name && same(s.keyId, w.keyId));
    if (!line) {
      verdicts.push({ witness: w.name, ok: false, why: "has not cosigned this checkpoint" });
      continue;
    }
    if (line.signature.length !== 72) {
      verdicts.push({ witness: w.name, ok: false, why: "its cosignature is malformed" });
      continue;
    }
    const time = new DataView(line.signature.buffer, line.signature.byteOffset, 8).getBigUint64(0);
    const message = encoder.encode(`cosignature/v1\ntime ${time}\n${checkpoint.body}`);
    const ok = await crypto.subtle.verify("Ed25519", w.crypto, line.signature.slice(8), message);
    verdicts.push({ witness: w.name, ok, time: Number(time), why: ok ? "cosigned" : "its cosignature does not verify" });
  }
  return verdicts;
}

export { COSIGN_TYPE, LOG_TYPE };
