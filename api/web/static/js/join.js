// join.js: the key page (/join). Make a key, import a `coopledger keygen` file or restore a
// backup; show the public key, download the backup, and sign in when a member holds the key.
// A key no member holds yet shows what to send to the board (an invitation flow can fill the
// same place later).

import { backupText, createKey, forgetKey, importKeyFile, KeyError, loadKey, restoreBackup } from "./keys.js";
import { ApiError, session, showWho, signIn, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
const status = $("key-status");

function say(kind, text) {
  status.className = `status ${kind}`;
  status.textContent = text;
}

function plain(error) {
  if (error instanceof KeyError || error instanceof ApiError) return error.message;
  return `Something went wrong: ${error.message}`;
}

function show(record) {
  $("have-key").hidden = record === null;
  $("no-key").hidden = record !== null;
  if (record === null) return;
  $("key-id").textContent = record.keyId;
  $("public-key").textContent = record.publicKey;
  const current = session();
  $("key-member").textContent = current?.member ? `${current.handle ?? ""} ${current.member}`.trim()
    : (record.member ?? "not known yet");
  $("to-member").hidden = !current;
}

function showNotAdmitted(record) {
  $("not-admitted").hidden = false;
  $("send-board").textContent =
    `Please admit me to the co-op.\nMy public key: ${record.publicKey}\nIts key ID: ${record.keyId}`;
}

async function trySignIn(record) {
  say("wait", "Signing in…");
  try {
    const current = await signIn(record);
    $("not-admitted").hidden = true;
    show(record);
    showWho(current);
    say("ok", `Signed in as ${current.handle ?? current.member} (${current.member}).`);
  } catch (error) {
    if (error instanceof ApiError && error.code === "login_refused") {
      showNotAdmitted(record);
      say("bad", "This key is not a member's key yet, so you cannot sign in with it. Send the board your public key (below).");
    } else {
      say("bad", plain(error));
    }
  }
}

async function readFile(input) {
  const [file] = input.files;
  if (!file) throw new KeyError("Choose a file first.");
  if (file.size > 16384) throw new KeyError("That file is too large to be a key file or a backup.");
  return file.text();
}

function form(id, busy, act) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    say("wait", busy);
    try {
      const record = await act();
      show(record);
      await trySignIn(record);
    } catch (error) {
      say("bad", plain(error));
    }
  });
}

form("create-form", "Making your key and locking its backup…", async () => {
  const passphrase = $("create-passphrase").value;
  if (passphrase !== $("create-repeat").value) throw new KeyError("The two passphrases are not the same.");
  return createKey(passphrase);
});
form("import-form", "Importing the key and locking its backup…", async () =>
  importKeyFile(await readFile($("import-file")), $("import-passphrase").value));
form("restore-form", "Opening the backup…", async () =>
  restoreBackup(await readFile($("restore-file")), $("restore-passphrase").value));

$("sign-in").addEventListener("click", async () => {
  const record = await loadKey();
  if (record) await trySignIn(record);
});

$("download-backup").addEventListener("click", async () => {
  const record = await loadKey();
  if (!record) return;
  const url = URL.createObjectURL(new Blob([backupText(record)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `coopledger-key-${record.keyId}.backup.json`;
  link.click();
  URL.revokeObjectURL(url);
  say("ok", "The backup is downloaded. Keep it, and its passphrase, somewhere safe.");
});

$("forget-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await forgetKey();
  signOut();
  showWho(null);
  show(null);
  say("ok", "The key is removed from this browser.");
});

const record = await loadKey();
show(record);
showWho(session());
if (record === null) say("wait", "There is no key in this browser yet: make one, import a key file or restore a backup.");
else if (session()) say("ok", `Signed in as ${session().handle ?? session().member}.`);
else say("wait", "A key is kept in this browser. Press “Sign in” to use it.");
