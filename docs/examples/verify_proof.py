"""Check that one entry is in a coopledger log, signed by the log's key and cosigned by witnesses.

    python verify_proof.py URL LOG_VKEY INDEX [--witness VKEY]... [-k K] [--checkpoint FILE]

Fetches the latest checkpoint (or reads a signed note from FILE), verifies the log's signature
(docs/formats.md §1, §5), at least K witness cosignatures (C2SP tlog-cosignature v1.0.1), and
the RFC 9162 inclusion proof of entry INDEX (§3, §4) to the checkpoint's root. Prints ``ok``
and exits 0, or prints what failed and exits 1. Needs only the standard library and PyNaCl.
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.request

from nacl.signing import VerifyKey


def get(url):
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (the URL is the user's)
        return response.read()


def read_vkey(vkey, key_type):
    """``<name>+<hex key ID>+base64(type || public key)`` -> (name, key ID, verify key)."""
    name, key_id, key = vkey.strip().split("+", 2)
    raw = base64.b64decode(key, validate=True)
    if len(raw) != 33 or raw[0] != key_type:
        raise ValueError(f"{name}: not a key of type {key_type:#04x}")
    if hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() != key_id:
        raise ValueError(f"{name}: the key ID does not match the key")
    return name, bytes.fromhex(key_id), VerifyKey(raw[1:])


def check_note(note, log, witnesses, k):
    """Verify the log's signature and K cosignatures; return (origin, size, root)."""
    body, blank, lines = note.partition("\n\n")
    origin, size, root = body.split("\n")
    body = (body + "\n").encode()
    cosigned, log_signed = set(), False
    for line in lines.splitlines():
        name, signature = line.removeprefix("\u2014 ").split(" ")
        raw = base64.b64decode(signature, validate=True)
        if (name, raw[:4]) == log[:2]:
            log[2].verify(body, raw[4:])  # raises BadSignatureError
            log_signed = True
        for witness in witnesses:
            if (name, raw[:4]) == witness[:2] and len(raw) == 76:
                message = b"cosignature/v1\ntime %d\n" % int.from_bytes(raw[4:12], "big") + body
                witness[2].verify(message, raw[12:])
                cosigned.add(name)
    if not blank or not log_signed or origin != log[0]:
        raise ValueError(f"the checkpoint is not signed by {log[0]}")
    if len(cosigned) < k:
        raise ValueError(f"{len(cosigned)} of the {k} witness cosignatures needed")
    return int(size), base64.b64decode(root, validate=True)


def check_inclusion(leaf, index, size, path, root):
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("log_vkey")
    parser.add_argument("index", type=int)
    parser.add_argument("--witness", action="append", default=[], help="a witness vkey (0x04)")
    parser.add_argument("-k", type=int, default=0, help="cosignatures needed (default 0)")
    parser.add_argument("--checkpoint", help="a checkpoint note file, instead of fetching one")
    args = parser.parse_args()
    url, index = args.url.rstrip("/"), args.index
    try:
        log = read_vkey(args.log_vkey, 0x01)
        witnesses = [read_vkey(vkey, 0x04) for vkey in args.witness]
        if args.checkpoint:
            with open(args.checkpoint, encoding="utf-8") as handle:
                note = handle.read()
        else:
            note = get(f"{url}/log/checkpoint").decode()
        size, root = check_note(note, log, witnesses, args.k)
        if not 0 <= index < size:
            raise ValueError(f"entry {index} is not in the tree of size {size}")
        (item,) = json.loads(get(f"{url}/log/entries?start={index}&end={index + 1}"))["entries"]
        entry = base64.b64decode(item["entry"], validate=True)
        if item["index"] != index or json.loads(entry)["seq"] != index:
            raise ValueError(f"the server sent another entry than {index}")
        leaf = hashlib.sha256(b"\x00" + entry).digest()
        proof = json.loads(get(f"{url}/log/proof/inclusion?index={index}&size={size}"))
        if not check_inclusion(leaf, index, size, [bytes.fromhex(p) for p in proof["path"]], root):
            raise ValueError(f"the inclusion proof of entry {index} does not lead to the root")
    except Exception as e:  # every failure is reported the same way: one line, exit 1
        print(f"failed: {type(e).__name__}: {e}")
        return 1
    print(f"ok: entry {index} is in {log[0]} at size {size}, with {args.k} cosignatures needed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
