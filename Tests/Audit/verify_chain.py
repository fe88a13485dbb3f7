#!/usr/bin/env python3
"""An independent check of idca's audit log: the specification in Docs/AUDIT-LOG.md, with no idca code.

usage: python3 Tests/Audit/verify_chain.py --database PATH --public-key PEMFILE [--checkpoint FILE ...] [--json]

Reads the tables `audit_log` and `audit_checkpoints` of an idca SQLite database (read-only), checks
every checkpoint's Ed25519 signature under the audit public key, then walks the entries in sequence
order: each must have the next sequence number, link to the hash of the entry before it (64 zeros
before entry 1), and carry the SHA-256 of its canonical encoding; an entry at a checkpointed sequence
must carry the checkpoint's hash, and the log must reach the highest checkpoint. The first break is
reported with its sequence number and reason.

Exit status: 0 when the log is intact, 1 at the first break, 2 when the inputs cannot be read.

--public-key takes the audit key's public half (`openssl pkey -in keys/audit-signing.pem -pubout`);
the private key file itself is accepted too. --checkpoint takes a checkpoint JSON file an auditor
kept (`idca audit checkpoint --output FILE`, or the body of GET /v1/audit/checkpoints/latest);
repeat it for several. --json prints one object:

    {"intact": bool, "entries": N, "checkpoints": C, "head": {"sequence": S, "hash": H},
     "first_break": null | {"sequence": S, "problem": CODE, "message": TEXT, ...}}

`entries` and `head` describe the entries verified before the first break (all of them when the log
is intact); `checkpoints` counts the checkpoints whose signatures verified (stored and held alike).

Standard library plus `cryptography` (for Ed25519), which joserfc depends on.
"""

import argparse
import base64
import hashlib
import json
import os
import sqlite3
import struct
import sys
import urllib.parse

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
except ImportError:  # pragma: no cover - depends on the machine
    print("verify_chain: the Python package `cryptography` is required (pip install cryptography)", file=sys.stderr)
    sys.exit(2)

# --- The specification (Docs/AUDIT-LOG.md) -----------------------------------------------------

DOMAIN = b"idca-audit-v1\x00"
GENESIS_HASH = "0" * 64
TEXT_FIELDS = ("type", "actor", "subject", "outcome", "reason", "object", "detail")
CHECKPOINT_PREFIX = "idca-audit-checkpoint-v1"
B64URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

MESSAGES = {
    "sequence_gap": "the entry found here has sequence {found}: entries were removed, inserted or reordered",
    "unlinked": "its prev_hash is not the hash of the entry before it",
    "hash_mismatch": "its hash does not match its contents: the entry was edited",
    "contradicts_checkpoint": "its hash differs from the signed checkpoint of this sequence: the log was rewritten",
    "truncated": "a signed checkpoint covers {checkpoint_sequence} entries but the log has only {entries}: "
                 "entries were removed from the end",
    "bad_checkpoint_signature": "the checkpoint's signature does not verify under the audit key",
    # Not among idca's own problems: a stored value of the wrong type cannot be encoded at all.
    "malformed": "its {field} is not {expected}: the entry was edited",
}


def canonical_bytes(entry, previous_hash):
    """The bytes an entry's hash covers. `entry` maps `sequence`, `time` (ints) and the seven text
    fields (str) ; `previous_hash` is the 64-hex-digit hash of the entry before it."""
    out = bytearray(DOMAIN)
    out += bytes.fromhex(previous_hash)
    out += struct.pack(">Q", entry["sequence"] & 0xFFFFFFFFFFFFFFFF)  # unsigned 64-bit big-endian
    out += struct.pack(">q", entry["time"])  # signed 64-bit big-endian
    for name in TEXT_FIELDS:
        data = entry[name].encode("utf-8")
        out += struct.pack(">I", len(data))
        out += data
    return bytes(out)


def entry_hash(entry, previous_hash):
    """Lower-case hex SHA-256 of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(entry, previous_hash)).hexdigest()


def signed_text(sequence, hash_hex, time, key_id):
    """The exact text a checkpoint's signature covers (UTF-8, LF after every line)."""
    return f"{CHECKPOINT_PREFIX}\n{sequence}\n{hash_hex}\n{time}\n{key_id}\n".encode("utf-8")


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode_strict(text):
    """Canonical unpadded base64url, or None (padding, other characters, impossible length, or
    non-zero unused bits)."""
    if not isinstance(text, str) or len(text) % 4 == 1 or any(c not in B64URL_ALPHABET for c in text):
        return None
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return data if b64url_encode(data) == text else None


def key_id(public_key):
    """RFC 7638 thumbprint of an Ed25519 public key (RFC 8037 members crv, kty, x)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    members = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % b64url_encode(raw)
    return b64url_encode(hashlib.sha256(members.encode("ascii")).digest())


def is_lower_hex_64(value):
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)


# --- Reading -------------------------------------------------------------------------------------

class Unreadable(Exception):
    """Inputs that cannot be read: exit status 2."""


def load_public_key(path):
    try:
        with open(path, "rb") as handle:
            pem = handle.read()
    except OSError as error:
        raise Unreadable(f"cannot read the audit public key {path}: {error.strerror}")
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            raise Unreadable(f"{path} holds no PEM public key (PUBLIC KEY) or unencrypted private key (PRIVATE KEY)")
        if isinstance(key, Ed25519PrivateKey):
            key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise Unreadable(f"{path} is not an Ed25519 key")
    return key


def load_checkpoint_file(path):
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except (OSError, ValueError) as error:
        raise Unreadable(f"cannot read the checkpoint file {path}: {error}")
    types = {"sequence": int, "hash": str, "time": int, "key_id": str, "signature": str}
    if not isinstance(value, dict) or any(
            name not in value or not isinstance(value[name], kind) or isinstance(value[name], bool)
            for name, kind in types.items()):
        raise Unreadable(f"cannot read the checkpoint file {path}: it must be the JSON of a checkpoint "
                         '({"sequence", "hash", "time", "key_id", "signature"}).')
    return {name: value[name] for name in types}


def open_database(path):
    if not os.path.isfile(path):
        raise Unreadable(f"there is no database at {path}")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.text_factory = bytes  # the stored bytes, undecoded: invalid UTF-8 must not stop the walk
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as error:
        raise Unreadable(f"cannot open {path} as a SQLite database: {error}")
    missing = {"audit_log", "audit_checkpoints"} - {name.decode() for name in tables}
    if missing:
        raise Unreadable(f"{path} has no table {', '.join(sorted(missing))}: not an idca database with an audit log")
    return connection


def as_text(value):
    """A TEXT (or BLOB) column value as str, or None when it is not UTF-8 text."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def stored_checkpoints(connection):
    rows = connection.execute("SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq, time")
    for seq, hash_hex, time, kid, signature in rows:
        yield {"sequence": seq, "hash": as_text(hash_hex), "time": time, "key_id": as_text(kid),
               "signature": as_text(signature)}


# --- Checking ------------------------------------------------------------------------------------

def checkpoint_is_valid(checkpoint, public_key, expected_key_id):
    if checkpoint["key_id"] != expected_key_id:
        return False
    if not isinstance(checkpoint["sequence"], int) or not isinstance(checkpoint["time"], int):
        return False
    if not isinstance(checkpoint["hash"], str):
        return False
    signature = b64url_decode_strict(checkpoint["signature"])
    if signature is None or len(signature) != 64:
        return False
    try:
        public_key.verify(signature, signed_text(checkpoint["sequence"], checkpoint["hash"], checkpoint["time"],
                                                 checkpoint["key_id"]))
    except InvalidSignature:
        return False
    return True


def make_break(sequence, problem, **facts):
    result = {"sequence": sequence, "problem": problem, "message": MESSAGES[problem].format(**facts)}
    result.update(facts)
    return result


def verify(connection, public_key, held_checkpoints=()):
    """The report of one walk: a dict shaped like the --json output."""
    expected_kid = key_id(public_key)
    first_break = None
    signed = {}  # sequence -> hash, from checkpoints whose signatures verify
    valid_count = 0
    highest = 0

    # 1. Checkpoints first, lowest sequence first (stored before held at equal sequence).
    checkpoints = list(stored_checkpoints(connection)) + list(held_checkpoints)
    checkpoints.sort(key=lambda c: c["sequence"] if isinstance(c["sequence"], int) else 0)
    for checkpoint in checkpoints:
        sequence = checkpoint["sequence"] if isinstance(checkpoint["sequence"], int) else 0
        if not checkpoint_is_valid(checkpoint, public_key, expected_kid):
            first_break = first_break or make_break(sequence, "bad_checkpoint_signature")
            continue
        if sequence in signed and signed[sequence] != checkpoint["hash"]:
            # Two valid signatures over different hashes of one sequence: the key signed two histories.
            first_break = first_break or make_break(sequence, "contradicts_checkpoint")
        signed[sequence] = checkpoint["hash"]
        highest = max(highest, sequence)
        valid_count += 1

    # 2. The entries, in sequence order (every row, whatever its sequence number).
    head_sequence, head_hash = 0, GENESIS_HASH
    if first_break is None:
        rows = connection.execute("SELECT seq, time, type, actor, subject, outcome, reason, object, detail, "
                                  "prev_hash, hash FROM audit_log ORDER BY seq")
        for row in rows:
            sequence = head_sequence + 1
            found = row[0]
            prev_hash, stored_hash = as_text(row[9]), as_text(row[10])
            if found != sequence:
                first_break = make_break(sequence, "sequence_gap", found=found)
                break
            if prev_hash != head_hash:
                first_break = make_break(sequence, "unlinked")
                break
            entry = {"sequence": found, "time": row[1]}
            if not isinstance(row[1], int):
                first_break = make_break(sequence, "malformed", field="time", expected="an integer")
                break
            for index, name in enumerate(TEXT_FIELDS, start=2):
                entry[name] = as_text(row[index])
                if entry[name] is None:
                    first_break = make_break(sequence, "malformed", field=name, expected="UTF-8 text")
                    break
            if first_break:
                break
            if entry_hash(entry, prev_hash) != stored_hash:
                first_break = make_break(sequence, "hash_mismatch")
                break
            if sequence in signed and signed[sequence] != stored_hash:
                first_break = make_break(sequence, "contradicts_checkpoint")
                break
            head_sequence, head_hash = sequence, stored_hash

    # 3. The log must reach every checkpoint.
    if first_break is None and highest > head_sequence:
        first_break = make_break(head_sequence + 1, "truncated", checkpoint_sequence=highest, entries=head_sequence)

    return {"intact": first_break is None, "entries": head_sequence, "checkpoints": valid_count,
            "head": {"sequence": head_sequence, "hash": head_hash}, "first_break": first_break}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="verify_chain.py",
        description="Independently verify an idca audit log: hash chain, checkpoint signatures, truncation.")
    parser.add_argument("--database", required=True, help="the idca SQLite database (read-only)")
    parser.add_argument("--public-key", required=True, help="the audit public key, PEM (a private key PEM works too)")
    parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                        help="a checkpoint JSON file you hold (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args(argv)
    try:
        public_key = load_public_key(arguments.public_key)
        held = [load_checkpoint_file(path) for path in arguments.checkpoint]
        connection = open_database(arguments.database)
        try:
            report = verify(connection, public_key, held)
        finally:
            connection.close()
    except Unreadable as error:
        print(f"verify_chain: {error}", file=sys.stderr)
        return 2
    except sqlite3.Error as error:
        print(f"verify_chain: reading {arguments.database} failed: {error}", file=sys.stderr)
        return 2

    broken = report["first_break"]
    if arguments.json:
        print(json.dumps(report, sort_keys=True, ensure_ascii=False))
    elif broken:
        print(f"verify_chain: the audit log is BROKEN at entry {broken['sequence']}: {broken['message']}.", file=sys.stderr)
        print(f"Entries before it verified: {report['entries']}. Checkpoints with valid signatures: {report['checkpoints']}.")
    else:
        print(f"The audit log is intact: {report['entries']} entries, {report['checkpoints']} signed checkpoints verified.")
        print(f"Head: {report['head']['sequence']} {report['head']['hash']}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
