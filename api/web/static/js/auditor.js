// The auditor's page: pin the log's key, verify the latest checkpoint and its consistency with
// the one this browser verified before, check witnesses' cosignatures against keys the auditor
// gives, and prove any entry's inclusion. Everything is verified here (note.js, merkle.js).
import { el, say, when } from "./dom.js";
import { parseVkey, verifyCosignatures, COSIGN_TYPE } from "./note.js";
import { latestCheckpoint, pinKey, pinnedKey, proveEntry, ProofFailure } from "./prove.js";

const $ = (id) => document.getElementById(id);
const WITNESSES = "coopledger.witnesses";
let latest = null;

const fact = (term, value) => el("div", {}, el("dt", {}, term), el("dd", {}, value));
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

async function showKey() {
  const { vkey, pinnedNow } = await pinnedKey();
  $("log-key").value = vkey.text;
  say(
    $("key-status"),
    pinnedNow ? "wait" : "ok",
    pinnedNow
      ? "This browser had no key pinned, so it pinned the one this server gives. Compare it with the key the co-op published; if they differ, paste the published one and pin it."
      : `Pinned: ${vkey.name}. Checkpoints not signed by this key are refused.`,
  );
}

async function showCheckpoint() {
  try {
    const { checkpoint, previous } = await latestCheckpoint();
    latest = checkpoint;
    $("checkpoint-facts").replaceChildren(
      fact("Log", checkpoint.origin),
      fact("Entries", checkpoint.size.toLocaleString("en-GB")),
      fact("Root", el("code", {}, hex(checkpoint.root))),
    );
    say(
      $("checkpoint-status"),
      "ok",
      previous
        ? `Signed by the log's key, and consistent with the checkpoint of ${previous.size} entries this browser verified before.`
        : "Signed by the log's key. This browser will remember it and check the log against it next time.",
    );
    $("entry-seq").max = String(checkpoint.size - 1);
  } catch (error) {
    latest = null;
    say($("checkpoint-status"), "bad", error instanceof ProofFailure ? error.message : `The checkpoint could not be checked: ${error.message}`);
  }
}

async function checkWitnesses() {
  const lines = $("witness-keys").value.split("\n").map((l) => l.trim()).filter(Boolean);
  const quorum = Number($("witness-quorum").value || 0);
  localStorage.setItem(WITNESSES, JSON.stringify({ lines, quorum }));
  const box = $("witness-status");
  if (!lines.length) {
    box.replaceChildren();
    return;
  }
  let keys;
  try {
    keys = await Promise.all(lines.map((l) => parseVkey(l, COSIGN_TYPE)));
  } catch (error) {
    say(box, "bad", `A witness key is not valid: ${error.message}`);
    return;
  }
  const witnessed = await fetch("/log/checkpoint/witnessed", { cache: "no-store" });
  if (!witnessed.ok) {
    say(box, quorum ? "bad" : "wait", "The server has no witnessed checkpoint to show.");
    return;
  }
  const { verifyCheckpoint } = await import("./note.js");
  const { vkey } = await pinnedKey();
  let checkpoint;
  try {
    checkpoint = await verifyCheckpoint(await witnessed.text(), vkey);
  } catch (error) {
    say(box, "bad", `The witnessed checkpoint is not signed by the log's key: ${error.message}`);
    return;
  }
  const verdicts = await verifyCosignatures(checkpoint, keys);
  const good = verdicts.filter((v) => v.ok).length;
  box.replaceChildren(
    el("p", { class: `status ${good >= quorum ? "ok" : "bad"}` },
      `${good} of ${keys.length} witnesses cosigned the checkpoint of ${checkpoint.size} entries; ${quorum} required.`),
    el("ul", {}, verdicts.map((v) => el("li", {}, `${v.ok ? "✓" : "✗"} ${v.witness}: ${v.why}${v.ok ? ` at ${when(new Date(v.time * 1000).toISOString())}` : ""}`))),
  );
}

async function checkEntry(seq) {
  say($("entry-status"), "wait", `Checking entry ${seq}…`);
  $("entry-facts").replaceChildren();
  const verdict = await proveEntry(seq);
  say($("entry-status"), verdict.ok ? "ok" : "bad", verdict.message);
  if (verdict.entry) {
    const s = verdict.entry.statement || {};
    $("entry-facts").replaceChildren(
      fact("Kind", s.kind || "?"),
      fact("Signed by key", s.key_id || "?"),
      fact("Logged", when(verdict.entry.logged_at)),
      fact("Verified in", `${verdict.ms.toFixed(1)} ms`),
    );
  }
}

$("key-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await pinKey($("log-key").value);
    await showKey();
    await showCheckpoint();
  } catch (error) {
    say($("key-status"), "bad", `That key was not pinned: ${error.message}`);
  }
});
$("witness-form").addEventListener("submit", (event) => {
  event.preventDefault();
  checkWitnesses();
});
$("entry-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("entry-seq").value.trim();
  if (!/^\d+$/.test(text)) {
    say($("entry-status"), "bad", "An entry number is a whole number from 0.");
    return;
  }
  checkEntry(Number(text));
});

try {
  await showKey();
} catch (error) {
  say($("key-status"), "bad", `The log's key could not be read: ${error.message}`);
}
await showCheckpoint();
const saved = JSON.parse(localStorage.getItem(WITNESSES) || "null");
if (saved) {
  $("witness-keys").value = saved.lines.join("\n");
  $("witness-quorum").value = String(saved.quorum);
  await checkWitnesses();
}
const asked = new URLSearchParams(location.search).get("entry");
if (asked !== null && /^\d+$/.test(asked)) {
  $("entry-seq").value = asked;
  await checkEntry(Number(asked));
}
