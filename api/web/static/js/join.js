// join.js: the key page (/join). Make a key, import a `coopledger keygen` file or restore a
// backup; show the public key, download the backup, and sign in when a member holds the key.
//
// Opened from an invitation (/join?invite=TOKEN, docs/api.md "Invitations"), it shows what the
// admission will say and hands the board the new key's public half (acceptInvitation); the
// private key never leaves this browser. A key no member holds, without an invitation, shows
// what to send to the board instead.

import { when } from "./dom.js";
import { backupText, createKey, forgetKey, importKeyFile, KeyError, loadKey, restoreBackup } from "./keys.js";
import { ApiError, graphql, session, showWho, signIn, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
const status = $("key-status");
const token = new URLSearchParams(location.search).get("invite");
const FIELDS = "member handle memberKind borough status expiresAt keyId";
let invited = null; // the invitation the address carries, once read

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

async function readInvitation() {
  const data = await graphql(`query ($t: String!) { invitation(token: $t) { ${FIELDS} } }`, { t: token }, { auth: false });
  return data.invitation;
}

function invitationNext(record) {
  const mine = record !== null && invited.keyId === record.keyId;
  switch (invited.status) {
    case "open":
      return record === null
        ? "Make your key below (or import a key file, or restore a backup). Its public half goes to the board with this invitation; the key itself stays in this browser."
        : "Accept the invitation with the key in this browser, or remove that key first to make a new one.";
    case "accepted":
      return mine
        ? "Your public key is with the board. Once they have admitted you, come back here and press “Sign in”."
        : `This invitation was accepted with another key (key ID ${invited.keyId}). If that was not you, tell the board.`;
    case "admitted":
      return mine ? "You are admitted: sign in to start." : "This invitation has been used: the member it names is admitted.";
    default:
      return "This invitation has expired. Ask the board for a new one.";
  }
}

function showInvitation(record) {
  $("invitation").hidden = invited === null;
  if (invited === null) return;
  $("invited-member").textContent = invited.member;
  $("invited-handle").textContent = invited.handle ?? "(none: shown by member ID)";
  $("invited-kind").textContent = invited.memberKind;
  $("invited-borough").textContent = invited.borough;
  $("invited-expires").textContent = when(invited.expiresAt);
  $("invitation-next").textContent = invitationNext(record);
  $("accept-invitation").hidden = !(invited.status === "open" && record !== null);
}

/** Give the board this browser's public key with the invitation. */
async function accept(record) {
  say("wait", "Giving your public key to the board…");
  const data = await graphql(
    `mutation ($t: String!, $k: String!) {
      acceptInvitation(token: $t, publicKey: $k) {
        __typename
        ... on Invitation { ${FIELDS} }
        ... on Denied { code message }
      }
    }`,
    { t: token, k: record.publicKey }, { auth: false });
  const answer = data.acceptInvitation;
  if (answer.__typename !== "Invitation") throw new ApiError(answer.code, answer.message);
  invited = answer;
  showInvitation(record);
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
    if (error instanceof ApiError && error.code === "login_refused" && invited?.keyId === record.keyId) {
      say("ok", "Your key is ready and the board has it with your invitation. Once they have admitted you, come back here and press “Sign in”.");
    } else if (error instanceof ApiError && error.code === "login_refused") {
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
      if (invited?.status === "open") await accept(record);
      showInvitation(record);
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

$("accept-invitation").addEventListener("click", async () => {
  const record = await loadKey();
  if (record === null) return;
  try {
    await accept(record);
    await trySignIn(record);
  } catch (error) {
    say("bad", plain(error));
  }
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
  if (invited) showInvitation(null);
  say("ok", "The key is removed from this browser.");
});

const record = await loadKey();
show(record);
showWho(session());
let unread = null; // why the invitation could not be read, if it could not
if (token !== null) invited = await readInvitation().catch((error) => { unread = plain(error); return null; });
showInvitation(record);
if (unread !== null) {
  say("bad", `The invitation could not be read: ${unread}`);
} else if (token !== null && invited === null) {
  say("bad", "This invitation link is not known. Check that you opened the whole link, or ask the board for a new one.");
} else if (invited && record && invited.keyId === record.keyId && !session()) {
  await trySignIn(record);
} else if (invited && record === null) {
  say("wait", "Make your key to accept the invitation.");
} else if (record === null) say("wait", "There is no key in this browser yet: make one, import a key file or restore a backup.");
else if (session()) say("ok", `Signed in as ${session().handle ?? session().member}.`);
else say("wait", "A key is kept in this browser. Press “Sign in” to use it.");
