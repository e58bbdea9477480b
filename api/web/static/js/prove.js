// Proofs checked in the browser, trusting nothing the server says but what the pinned log key
// signed: the latest checkpoint, an entry's inclusion in it, and its consistency with the
// checkpoint this browser verified last (remembered in localStorage, per log key).
import { parseVkey, verifyCheckpoint } from "./note.js";
import { fromHex, leafHash, verifyConsistency, verifyInclusion } from "./merkle.js";
import { fromBase64 } from "./keys.js";

const PINNED = "coopledger.log-key";
const REMEMBERED = "coopledger.checkpoint.";

export class ProofFailure extends Error {}

async function fetchOk(path, what) {
  let response;
  try {
    response = await fetch(path, { cache: "no-store" });
  } catch {
    throw new ProofFailure(`The server could not be reached to fetch ${what}.`);
  }
  if (!response.ok) throw new ProofFailure(`The server would not give ${what} (it answered ${response.status}).`);
  return response;
}

/** The pinned log key ({vkey, pinnedNow}); on first use the server's key is pinned. */
export async function pinnedKey() {
  const kept = localStorage.getItem(PINNED);
  if (kept) return { vkey: await parseVkey(kept), pinnedNow: false };
  const text = (await (await fetchOk("/log/key", "the log's key")).text()).trim();
  const vkey = await parseVkey(text);
  localStorage.setItem(PINNED, vkey.text);
  return { vkey, pinnedNow: true };
}

/** Pin `text` as the log's key (throws if it is not a log key). */
export async function pinKey(text) {
  const vkey = await parseVkey(text);
  localStorage.setItem(PINNED, vkey.text);
  return vkey;
}

export function remembered(vkey) {
  return localStorage.getItem(REMEMBERED + vkey.text);
}

/**
 * The latest checkpoint, verified with the pinned key and checked consistent with the one
 * remembered (which is then replaced). Returns {checkpoint, previous, vkey}. A failure to
 * verify or to be consistent throws ProofFailure and remembers nothing new.
 */
export async function latestCheckpoint(path = "/log/checkpoint") {
  const { vkey } = await pinnedKey();
  const text = await (await fetchOk(path, "the latest checkpoint")).text();
  let checkpoint;
  try {
    checkpoint = await verifyCheckpoint(text, vkey);
  } catch (error) {
    throw new ProofFailure(`The latest checkpoint is not signed by the log's key: ${error.message} Do not trust what this server shows.`);
  }
  const kept = remembered(vkey);
  let previous = null;
  if (kept) {
    previous = await verifyCheckpoint(kept, vkey);
    await checkConsistent(previous, checkpoint);
  }
  if (!previous || checkpoint.size >= previous.size) localStorage.setItem(REMEMBERED + vkey.text, checkpoint.text);
  return { checkpoint, previous, vkey };
}

async function checkConsistent(older, newer) {
  if (newer.size < older.size) {
    throw new ProofFailure(
      `The log has gone back: this browser verified a checkpoint of ${older.size} entries, and the server now shows ${newer.size}. A log never shrinks; keep both checkpoints as evidence.`,
    );
  }
  const reply = await (await fetchOk(`/log/proof/consistency?first=${older.size}&second=${newer.size}`, "a consistency proof")).json();
  const ok = await verifyConsistency(older.size, newer.size, older.root, newer.root, reply.path.map(fromHex));
  if (!ok) {
    throw new ProofFailure(
      `The log is not consistent with the checkpoint of ${older.size} entries this browser verified before: the server may be showing different logs to different people (a fork). Keep both checkpoints as evidence.`,
    );
  }
}

/**
 * Prove entry `seq`: its bytes, hashed here, are included in the latest verified checkpoint.
 * Returns {ok, message, ms, checkpoint, entry (parsed JSON)}; never throws.
 */
export async function proveEntry(seq) {
  try {
    const { checkpoint } = await latestCheckpoint();
    if (!Number.isSafeInteger(seq) || seq < 0) throw new ProofFailure("An entry number is a whole number from 0.");
    if (seq >= checkpoint.size) throw new ProofFailure(`The log has ${checkpoint.size} entries; there is no entry ${seq} yet.`);
    const listed = await (await fetchOk(`/log/entries?start=${seq}&end=${seq + 1}`, `entry ${seq}`)).json();
    const bytes = fromBase64(listed.entries[0].entry, undefined, "the entry");
    const proof = await (await fetchOk(`/log/proof/inclusion?index=${seq}&size=${checkpoint.size}`, "the inclusion proof")).json();
    const started = performance.now();
    const leaf = await leafHash(bytes);
    const ok = await verifyInclusion(seq, checkpoint.size, leaf, proof.path.map(fromHex), checkpoint.root);
    const ms = performance.now() - started;
    const entry = JSON.parse(new TextDecoder().decode(bytes));
    if (!ok) {
      return {
        ok: false,
        ms,
        checkpoint,
        entry,
        message: `This proof does not match the checkpoint: entry ${seq} may have been changed, or the server is not showing the same log to everyone.`,
      };
    }
    return { ok: true, ms, checkpoint, entry, message: `Entry ${seq} is in the log of ${checkpoint.size} entries signed by the log's key (verified in ${ms.toFixed(1)} ms).` };
  } catch (error) {
    const message = error instanceof ProofFailure ? error.message : `The proof could not be checked: ${error.message}`;
    return { ok: false, message };
  }
}

/** Wire every `button[data-prove-seq]` in `container`: pressing one shows its verdict beside it. */
export function wireProveButtons(container) {
  container.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-prove-seq]");
    if (!button) return;
    let out = button.nextElementSibling;
    if (!out || !out.classList.contains("proof-verdict")) {
      out = document.createElement("span");
      out.className = "proof-verdict";
      out.setAttribute("role", "status");
      button.after(out);
    }
    out.className = "proof-verdict status wait";
    out.textContent = "Checking…";
    const verdict = await proveEntry(Number(button.dataset.proveSeq));
    out.className = `proof-verdict status ${verdict.ok ? "ok" : "bad"}`;
    out.textContent = verdict.message;
  });
}
