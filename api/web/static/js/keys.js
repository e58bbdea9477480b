// keys.js: the member's Ed25519 key in this browser (WebCrypto), kept in IndexedDB.
//
// The private key is stored as a NON-extractable CryptoKey: no script, ours included, can read
// it back. So its passphrase-encrypted backup ("Browser key backup", docs/formats.md §1) is made
// at the one moment the key's bytes are in hand, when it is made, imported from a
// `coopledger keygen` key file or restored from a backup; the backup is stored beside the key
// and can be downloaded at any time. Every refusal is a KeyError with a plain message.

export class KeyError extends Error {}

const DB_NAME = "coopledger";
const STORE = "keys";
const SLOT = "member";
const KEY_FILE_TYPE = "coopledger-ed25519-v1";
const BACKUP_TYPE = "coopledger-key-backup-v1";
const BACKUP_AAD = "coopledger/key-backup/v1\n";
export const ITERATIONS = 600000;
const MAX_ITERATIONS = 10000000;
const MIN_PASSPHRASE = 10;
// RFC 8410 PKCS#8 of an Ed25519 private key: this DER prefix, then the 32-byte seed.
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const ED25519 = { name: "Ed25519" };
const encoder = new TextEncoder();

// Base64 (standard alphabet, padded, strict) and hex: small helpers for this page's modules.
export function toBase64(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

export function fromBase64(text, length, what) {
  let bytes;
  try {
    if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error();
    bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw new KeyError(`${what} is not base64.`);
  }
  if (toBase64(bytes) !== text) throw new KeyError(`${what} is not strict base64.`);
  if (length !== undefined && bytes.length !== length) {
    throw new KeyError(`${what} must be ${length} bytes, not ${bytes.length}.`);
  }
  return bytes;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The key ID of a public key (docs/formats.md §1): hex of the first 8 bytes of its SHA-256. */
export async function keyIdOf(publicKey) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey)).slice(0, 8));
}

function pkcs8Of(seed) {
  const der = new Uint8Array(PKCS8_PREFIX.length + 32);
  der.set(PKCS8_PREFIX);
  der.set(seed, PKCS8_PREFIX.length);
  return der;
}

/** Whether the private key signs for the public key: one signature made and checked. */
async function signsFor(privateKey, publicKey) {
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const signature = await crypto.subtle.sign(ED25519, privateKey, probe);
  const verifier = await crypto.subtle.importKey("raw", publicKey, ED25519, true, ["verify"]);
  return crypto.subtle.verify(ED25519, verifier, signature, probe);
}

// IndexedDB: one object store, one record under the slot "member".
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new KeyError("This browser would not open its key store (IndexedDB)."));
  });
}

async function withStore(mode, act) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(new KeyError("This browser would not save to its key store."));
    });
  } finally {
    db.close();
  }
}

/** The stored key, or null: {privateKey (CryptoKey), publicKey (base64), keyId, member, backup}. */
export async function loadKey() {
  return (await withStore("readonly", (store) => store.get(SLOT))) ?? null;
}

/** Forget the stored key and its backup (download the backup first). */
export async function forgetKey() {
  await withStore("readwrite", (store) => store.delete(SLOT));
}

/** Note the member id the server gave the key at sign-in (kept in the record and its backup). */
export async function setMember(member) {
  const record = await loadKey();
  if (record === null || record.member === member) return record;
  record.member = member;
  record.backup = { ...record.backup, member };
  await withStore("readwrite", (store) => store.put(record, SLOT));
  return record;
}

function checkPassphrase(passphrase) {
  if (typeof passphrase !== "string" || [...passphrase].length < MIN_PASSPHRASE) {
    throw new KeyError(`Choose a backup passphrase of at least ${MIN_PASSPHRASE} characters.`);
  }
}

async function wrappingKey(passphrase, salt, iterations, usage) {
  const material = await crypto.subtle.importKey(
    "raw", encoder.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material, { name: "AES-GCM", length: 256 }, false, [usage]);
}

async function makeBackup(seed, publicKey, member, passphrase) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const publicB64 = toBase64(publicKey);
  const key = await wrappingKey(passphrase, salt, ITERATIONS, "encrypt");
  const additionalData = encoder.encode(BACKUP_AAD + publicB64);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, seed);
  return {
    type: BACKUP_TYPE,
    member,
    key_id: await keyIdOf(publicKey),
    public_key: publicB64,
    kdf: "PBKDF2-SHA256",
    iterations: ITERATIONS,
    salt: toBase64(salt),
    cipher: "AES-256-GCM",
    iv: toBase64(iv),
    ciphertext: toBase64(new Uint8Array(sealed)),
  };
}

/** Keep a seed: a non-extractable private key in IndexedDB, beside a backup of the seed. */
async function keep(seed, publicKey, member, backup) {
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8Of(seed), ED25519, false, ["sign"]);
  if (!(await signsFor(privateKey, publicKey))) {
    throw new KeyError("This key's public key is not the public key of its seed: the file is damaged or was altered.");
  }
  const record = { privateKey, publicKey: toBase64(publicKey), keyId: await keyIdOf(publicKey), member, backup };
  await withStore("readwrite", (store) => store.put(record, SLOT));
  return record;
}

/** Make a new key pair in this browser, with its backup under `passphrase`. */
export async function createKey(passphrase) {
  checkPassphrase(passphrase);
  const pair = await crypto.subtle.generateKey(ED25519, true, ["sign", "verify"]);
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const seed = der.slice(PKCS8_PREFIX.length);
  if (der.length !== PKCS8_PREFIX.length + 32 || !PKCS8_PREFIX.every((b, i) => der[i] === b)) {
    throw new KeyError("This browser wrote its new key in a form this page does not know.");
  }
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  try {
    return await keep(seed, publicKey, null, await makeBackup(seed, publicKey, null, passphrase));
  } finally {
    seed.fill(0);
    der.fill(0);
  }
}

function parseJson(text, what) {
  try {
    const value = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new KeyError(`This is not ${what}: it is not a JSON object.`);
}

/** Import a key file made by `coopledger keygen` (docs/formats.md §1), backing it up under `passphrase`. */
export async function importKeyFile(text, passphrase) {
  const file = parseJson(text, "a coopledger key file");
  if (file.type !== KEY_FILE_TYPE) {
    throw new KeyError(`This is not a coopledger key file (its type should be "${KEY_FILE_TYPE}").`);
  }
  checkPassphrase(passphrase);
  const seed = fromBase64(file.seed, 32, "The key file's seed");
  const publicKey = fromBase64(file.public_key, 32, "The key file's public key");
  if (file.key_id !== undefined && file.key_id !== (await keyIdOf(publicKey))) {
    throw new KeyError("The key file's key_id is not its public key's ID: the file is damaged or was altered.");
  }
  const member = typeof file.member === "string" ? file.member : null;
  try {
    return await keep(seed, publicKey, member, await makeBackup(seed, publicKey, member, passphrase));
  } finally {
    seed.fill(0);
  }
}

/** Restore a backup file made by this page, with the passphrase it was made under. */
export async function restoreBackup(text, passphrase) {
  const backup = parseJson(text, "a coopledger key backup");
  if (backup.type !== BACKUP_TYPE) {
    throw new KeyError(`This is not a coopledger key backup (its type should be "${BACKUP_TYPE}").`);
  }
  if (backup.kdf !== "PBKDF2-SHA256" || backup.cipher !== "AES-256-GCM") {
    throw new KeyError("This backup uses a method this page does not know.");
  }
  const { iterations } = backup;
  if (!Number.isSafeInteger(iterations) || iterations < ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new KeyError(`This backup's iterations must be between ${ITERATIONS} and ${MAX_ITERATIONS}.`);
  }
  const publicKey = fromBase64(backup.public_key, 32, "The backup's public key");
  const salt = fromBase64(backup.salt, 16, "The backup's salt");
  const iv = fromBase64(backup.iv, 12, "The backup's iv");
  const sealed = fromBase64(backup.ciphertext, 48, "The backup's ciphertext");
  if (typeof passphrase !== "string" || passphrase === "") throw new KeyError("Type the backup's passphrase.");
  const key = await wrappingKey(passphrase, salt, iterations, "decrypt");
  const additionalData = encoder.encode(BACKUP_AAD + backup.public_key);
  let seed;
  try {
    seed = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, sealed));
  } catch {
    throw new KeyError("That passphrase does not open this backup (or the file was altered). Nothing was changed.");
  }
  const member = typeof backup.member === "string" ? backup.member : null;
  try {
    return await keep(seed, publicKey, member, { ...backup, member });
  } finally {
    seed.fill(0);
  }
}

/** The backup as the file to download: JSON, two-space indentation, a final newline. */
export function backupText(record) {
  return `${JSON.stringify(record.backup, null, 2)}\n`;
}

/** Sign bytes with the stored private key; returns the 64-byte signature. */
export async function sign(record, bytes) {
  return new Uint8Array(await crypto.subtle.sign(ED25519, record.privateKey, bytes));
}
