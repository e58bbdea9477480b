"""Check one entry of a coopledger log: the log's signature on the checkpoint, K witness
cosignatures (C2SP tlog-cosignature v1.0.1) and the RFC 9162 inclusion proof to its root.

    python verify_proof.py URL LOG_VKEY INDEX [--witness VKEY]... [-k K] [--checkpoint FILE]

Prints "ok: ..." and exits 0, or "failed: ..." and exits 1. See docs/formats.md §1, §3-§5.
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.request

from nacl.signing import VerifyKey


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (the user's URL)
        return response.read()


def read_vkey(vkey, key_type):
    """<name>+<hex key ID>+base64(type || public key) -> (name, key ID, verify key)."""
    name, key_id, key = vkey.strip().split("+", 2)
    raw = base64.b64decode(key, validate=True)
    if len(raw) != 33 or raw[0] != key_type:
        raise ValueError(f"{name}: not a key of type {key_type:#04x}")
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_id:
        raise ValueError(f"{name}: the key ID does not match the key")
    return name, bytes.fromhex(key_id), VerifyKey(raw[1:])


def check_note(note, log, witnesses, k):
    """Verify the log's signature and K cosignatures; return the tree size and root."""
    text, blank, lines = note.partition("\n\n")
    origin, size, root = text.split("\n")
    body, signed, cosigned = (text + "\n").encode(), False, set()
    for line in lines.splitlines():
        name, raw = line.removeprefix("\u2014 ").split(" ")
        raw = base64.b64decode(raw, validate=True)
        if (name, raw[:4]) == log[:2]:
            log[2].verify(body, raw[4:])  # raises BadSignatureError
            signed = True
        for w_name, w_id, w_key in witnesses:
            if (name, raw[:4]) == (w_name, w_id) and len(raw) == 4 + 8 + 64:
                time = int.from_bytes(raw[4:12], "big")
                w_key.verify(b"cosignature/v1\ntime %d\n" % time + body, raw[12:])
                cosigned.add(name)
    if not (blank and signed and origin == log[0]):
        raise ValueError(f"the checkpoint is not signed by {log[0]}")
    if len(cosigned) < k:
        raise ValueError(f"{len(cosigned)} of the {k} witness cosignatures needed")
    return int(size), base64.b64decode(root, validate=True)


def included(leaf, index, size, path, root):
    """RFC 9162 §2.1.3.2: does ``path`` lead from ``leaf`` at ``index`` to ``root``?"""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def main():
    arg = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("url", "log_vkey"):
        arg.add_argument(name)
    arg.add_argument("index", type=int)
    arg.add_argument("--witness", action="append", default=[], help="a witness vkey (type 0x04)")
    arg.add_argument("-k", type=int, default=0, help="how many witnesses must cosign")
    arg.add_argument("--checkpoint", help="a file holding the checkpoint note, not fetched")
    args = arg.parse_args()
    url, i = args.url.rstrip("/"), args.index
    try:
        log = read_vkey(args.log_vkey, 0x01)
        witnesses = [read_vkey(vkey, 0x04) for vkey in args.witness]
        if args.checkpoint:
            with open(args.checkpoint, encoding="utf-8") as file:
                note = file.read()
        else:
            note = get(f"{url}/log/checkpoint").decode()
        size, root = check_note(note, log, witnesses, args.k)
        if not 0 <= i < size:
            raise ValueError(f"entry {i} is not in the tree of size {size}")
        (item,) = json.loads(get(f"{url}/log/entries?start={i}&end={i + 1}"))["entries"]
        entry = base64.b64decode(item["entry"], validate=True)
        if item["index"] != i or json.loads(entry)["seq"] != i:
            raise ValueError(f"the server sent another entry than {i}")
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        path = json.loads(get(f"{url}/log/proof/inclusion?index={i}&size={size}"))["path"]
        if not included(leaf, i, size, [bytes.fromhex(p) for p in path], root):
            raise ValueError(f"the inclusion proof of entry {i} does not lead to the root")
    except Exception as e:  # every failure is reported alike: one line, exit 1
        print(f"failed: {type(e).__name__}: {e}")
        return 1
    print(f"ok: entry {i} is in {log[0]} of size {size}, with {args.k} cosignatures needed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
