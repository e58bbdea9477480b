// RFC 9162 Merkle tree proofs, verified in the browser with WebCrypto SHA-256:
// leaf hash SHA-256(0x00 || entry), node hash SHA-256(0x01 || left || right),
// inclusion (RFC 9162 §2.1.3.2) and consistency (§2.1.4.2). Hashes are Uint8Arrays of 32 bytes.
// A proof that does not verify returns false; input that is not a proof at all throws.

async function sha256(...parts) {
  const length = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export const leafHash = (entry) => sha256(LEAF, entry);
export const nodeHash = (left, right) => sha256(NODE, left, right);

export function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function check(hashes, what) {
  for (const h of hashes) {
    if (!(h instanceof Uint8Array) || h.length !== 32) throw new Error(`${what} must be 32-byte hashes`);
  }
}

function whole(n, what) {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a whole number`);
  return BigInt(n);
}

/** Does `path` prove the leaf `leaf` at `index` in the tree of `size` with `root`? */
export async function verifyInclusion(index, size, leaf, path, root) {
  let fn = whole(index, "the index");
  let sn = whole(size, "the size") - 1n;
  if (fn > sn) throw new Error("the index must be less than the size");
  check([leaf, root, ...path], "the proof");
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

/** Does `path` prove the tree of `size1` with `root1` is a prefix of the one of `size2` with `root2`? */
export async function verifyConsistency(size1, size2, root1, root2, path) {
  let fn = whole(size1, "the first size");
  let sn = whole(size2, "the second size");
  if (fn > sn) throw new Error("the first size must not be larger than the second");
  check([root1, root2, ...path], "the proof");
  if (fn === sn) return path.length === 0 && equal(root1, root2);
  if (fn === 0n) return path.length === 0;
  let hashes = path;
  if ((fn & (fn - 1n)) === 0n) hashes = [root1, ...path]; // size1 a power of two
  if (hashes.length === 0) return false;
  fn -= 1n;
  sn -= 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let [fr, sr] = [hashes[0], hashes[0]];
  for (const c of hashes.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(fr, root1) && equal(sr, root2);
}

export function fromHex(text) {
  if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) throw new Error("not lowercase hex");
  return Uint8Array.from(text.match(/../g) || [], (b) => parseInt(b, 16));
}
