#!/usr/bin/env python3
"""Harbour Single Window ledger verifier — one file, Python 3.11+ and ``cryptography`` only.

A bank, the other port or anyone else runs this to check, without trusting the portal's
database, that a ledger entry is included in the portal's signed log and that one signed
checkpoint extends another. It does not import Django and needs no database.

Everything it reads is exactly what the portal's API returns (save each response as a
file, or pass the portal's address with ``--portal`` to fetch them)::

    GET /api/v1/ledger/public-key                 -> key.json       (fetch once, then pin it)
    GET /api/v1/ledger/checkpoints/latest         -> checkpoint.json
    GET /api/v1/ledger/entries/42                 -> entry.json
    GET /api/v1/ledger/entries/42/proof?tree_size=N   (N = the checkpoint's tree_size) -> proof.json
    GET /api/v1/ledger/consistency?first=M&second=N   -> consistency.json

    python verifier.py checkpoint  --public-key key.json checkpoint.json
    python verifier.py inclusion   --public-key key.json --entry entry.json --proof proof.json \\
                                   --checkpoint checkpoint.json
    python verifier.py consistency --public-key key.json --old old-checkpoint.json \\
                                   --new new-checkpoint.json --proof consistency.json

Exit status 0 means verified; 1 means the check failed (the message says why); 2 means the
command line or an input file could not be understood.

The formats, all fixed and documented here so that another implementation can be written:

* Hashes (leaf hashes, roots, proof nodes) are 32-byte SHA-256 values written as 64
  lowercase hexadecimal characters. Signatures and public keys are standard base64.
* Merkle tree: RFC 9162 §2.1. Leaf hash = SHA-256(0x00 ‖ leaf data); interior node hash =
  SHA-256(0x01 ‖ left ‖ right); the empty tree's hash is SHA-256 of nothing.
* Leaf data of an entry is the canonical JSON (below) of the object
  ``{"created_at", "kind", "private", "public", "seq", "subject"}`` taken from the entry:
  ``public`` holds the payload fields anyone may see, ``private`` maps every other payload
  field to the hex SHA-256 of the canonical JSON of ``{"field": name, "salt": salt,
  "value": value}`` (the salt is per entry and kept by the portal, so a field's value can
  be disclosed and checked later but not guessed from its hash).
* Canonical JSON: object keys sorted by code point, separators ``,`` and ``:`` with no
  white space, non-ASCII characters written as themselves (not ``\\u`` escapes), encoded as
  UTF-8. Only strings, integers, booleans, null, arrays and objects occur: decimals are
  strings in plain notation (``"12.50"``) and times are strings in UTC ending in ``Z``;
  a JSON number with a fraction or exponent is rejected.
* Checkpoint: the signed message is the C2SP tlog-checkpoint body, three lines each ending
  in a newline: the log's origin, the tree size in decimal, the root hash in standard
  base64 — e.g. ``harbour-single-window\\n42\\n<base64 root>\\n``. The signature is Ed25519
  over those bytes. The key id is the first 4 bytes, in hex, of
  SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ 32-byte public key), as in C2SP signed-note.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_TREE_HASH = hashlib.sha256(b"").digest()
ENTRY_DOCUMENT_FIELDS = ("created_at", "kind", "private", "public", "seq", "subject")


class VerificationError(Exception):
    """A proof, hash or signature does not check out."""


class InputError(ValueError):
    """An input could not be read or has the wrong shape."""


# --- RFC 9162 §2.1 hashing -------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-leaf tree: SHA-256(0x00 ‖ data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k with k < n <= 2k (n > 1), the split point of RFC 9162 §2.1.1."""
    if n < 2:
        raise ValueError("n must be at least 2")
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


# --- RFC 9162 §2.1.3.2 and §2.1.4.2: proof verification --------------------------------


def root_from_inclusion_proof(leaf_index: int, tree_size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof (RFC 9162 §2.1.3.2); raises if the proof is malformed."""
    if leaf_index < 0 or leaf_index >= tree_size:
        raise VerificationError(f"leaf index {leaf_index} is not inside a tree of size {tree_size}")
    fn, sn = leaf_index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            raise VerificationError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("the inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> None:
    """Raise VerificationError unless ``path`` proves leaf ``leaf_index`` is in the tree with ``root``."""
    if root_from_inclusion_proof(leaf_index, tree_size, leaf, path) != root:
        raise VerificationError("the inclusion proof does not lead to the checkpoint's root hash")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> None:
    """Raise VerificationError unless ``path`` proves the tree of size ``second`` extends ``first``.

    RFC 9162 §2.1.4.2 for 0 < first < second. For first == second the proof must be empty
    and the roots equal; a tree of size 0 is extended by every tree (empty proof).
    """
    if first < 0 or second < first:
        raise VerificationError(f"sizes {first} and {second} are not in order")
    if first == 0:
        if path:
            raise VerificationError("a consistency proof from the empty tree must be empty")
        if first_root != EMPTY_TREE_HASH:
            raise VerificationError("the root of the empty tree is wrong")
        return
    if first == second:
        if path:
            raise VerificationError("a consistency proof between equal sizes must be empty")
        if first_root != second_root:
            raise VerificationError("two trees of the same size have different roots")
        return
    if not path:
        raise VerificationError("the consistency proof is empty")
    nodes = list(path)
    if _is_power_of_two(first):
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            raise VerificationError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("the consistency proof is shorter than the tree is deep")
    if fr != first_root:
        raise VerificationError(f"the consistency proof does not lead to the root of the tree of size {first}")
    if sr != second_root:
        raise VerificationError(f"the consistency proof does not lead to the root of the tree of size {second}")


# --- canonical JSON and entries --------------------------------------------------------


def _reject_float(text: str):
    raise InputError(f"the number {text} has a fraction or exponent; canonical payloads never contain one")


def _check_canonical_value(value, where: str = "value") -> None:
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, list):
        for position, item in enumerate(value):
            _check_canonical_value(item, f"{where}[{position}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputError(f"{where} has a key that is not a string")
            _check_canonical_value(item, f"{where}.{key}")
        return
    raise InputError(f"{where} is a {type(value).__name__}, which canonical JSON does not allow")


_CANONICAL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_bytes(value, *, checked: bool = True) -> bytes:
    """Canonical JSON (see the module docstring) of a value made of JSON-native types only.

    ``checked=False`` skips the type walk for values known to be JSON-native already (parsed
    by :func:`parse_json`-style loading that rejects fractions and exponents).
    """
    if checked:
        _check_canonical_value(value)
    return _CANONICAL_ENCODER.encode(value).encode("utf-8")


def private_field_hash(field: str, salt: str, value, *, checked: bool = True) -> str:
    """The commitment published for a private payload field (hex)."""
    return hashlib.sha256(canonical_bytes({"field": field, "salt": salt, "value": value}, checked=checked)).hexdigest()


def loads_canonical(text: str | bytes):
    """Parse JSON that may only hold canonical types (no fractions, exponents, NaN)."""
    return json.loads(text, parse_float=_reject_float, parse_constant=_reject_float)


def entry_document(entry: dict) -> dict:
    """The object whose canonical JSON is the entry's leaf data."""
    try:
        document = {
            "created_at": entry["created_at"],
            "kind": entry["kind"],
            "private": entry["private_hashes"] if "private_hashes" in entry else entry["private"],
            "public": entry["public"],
            "seq": entry["seq"],
            "subject": entry["subject"],
        }
    except KeyError as missing:
        raise InputError(f"the entry has no {missing} field") from None
    if not isinstance(document["seq"], int) or isinstance(document["seq"], bool) or document["seq"] < 0:
        raise InputError("the entry's seq is not a non-negative integer")
    for name in ("created_at", "kind", "subject"):
        if not isinstance(document[name], str):
            raise InputError(f"the entry's {name} is not a string")
    if not isinstance(document["public"], dict) or not isinstance(document["private"], dict):
        raise InputError("the entry's public and private parts must be objects")
    return document


def entry_leaf_hash(entry: dict) -> bytes:
    """Recompute an entry's leaf hash from its fields (never from its ``leaf_hash`` field)."""
    return leaf_hash(canonical_bytes(entry_document(entry)))


# --- checkpoints and signatures --------------------------------------------------------


def checkpoint_body(origin: str, tree_size: int, root: bytes) -> bytes:
    """The exact bytes the portal signs: C2SP tlog-checkpoint body."""
    if "\n" in origin or not origin:
        raise InputError("the origin must be one non-empty line")
    return f"{origin}\n{tree_size}\n{base64.b64encode(root).decode('ascii')}\n".encode()


def key_id(origin: str, public_key_raw: bytes) -> str:
    """C2SP signed-note key hash: first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key), in hex."""
    return hashlib.sha256(origin.encode() + b"\n\x01" + public_key_raw).digest()[:4].hex()


def load_public_key(raw: bytes):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if len(raw) != 32:
        raise InputError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_checkpoint_signature(
    public_key_raw: bytes, origin: str, tree_size: int, root: bytes, signature: bytes
) -> None:
    """Raise VerificationError unless ``signature`` is the key's Ed25519 signature of the checkpoint."""
    from cryptography.exceptions import InvalidSignature

    try:
        load_public_key(public_key_raw).verify(signature, checkpoint_body(origin, tree_size, root))
    except InvalidSignature:
        raise VerificationError(f"the signature of the checkpoint of size {tree_size} is not valid") from None


# --- reading inputs --------------------------------------------------------------------


def decode_hash(value, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE or value != value.lower():
        raise InputError(f"{what} must be {2 * HASH_SIZE} lowercase hexadecimal characters")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise InputError(f"{what} is not hexadecimal") from None


def decode_base64(value, what: str) -> bytes:
    if not isinstance(value, str):
        raise InputError(f"{what} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{what} is not valid base64") from None


def parse_json(text: str | bytes, what: str) -> dict:
    try:
        value = loads_canonical(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise InputError(f"{what} must be a JSON object")
    return value


def read_json(source: str) -> dict:
    """A JSON object from a file path, ``-`` for standard input, or an http(s) URL."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Accept": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return parse_json(response.read(), source)
    try:
        if source == "-":
            return parse_json(sys.stdin.buffer.read(), "standard input")
        with open(source, "rb") as handle:
            return parse_json(handle.read(), source)
    except OSError as error:
        raise InputError(f"cannot read {source}: {error.strerror}") from None


def read_public_key(source: str) -> bytes:
    """The raw 32-byte key from the public-key JSON, a PEM file, or a base64 string."""
    if source.startswith(("http://", "https://")) or source.endswith(".json"):
        document = read_json(source)
        return decode_base64(document.get("public_key"), "public_key")
    try:
        with open(source, "rb") as handle:
            content = handle.read()
    except OSError:
        content = None
    if content is not None:
        if b"BEGIN PUBLIC KEY" in content:
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            from cryptography.hazmat.primitives.serialization import (
                Encoding,
                PublicFormat,
                load_pem_public_key,
            )

            key = load_pem_public_key(content)
            if not isinstance(key, Ed25519PublicKey):
                raise InputError(f"{source} is not an Ed25519 public key")
            return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        if content.lstrip().startswith(b"{"):
            return decode_base64(parse_json(content, source).get("public_key"), "public_key")
        source = content.decode("ascii", "replace").strip()
    raw = decode_base64(source, "the public key")
    if len(raw) != 32:
        raise InputError("an Ed25519 public key has 32 bytes")
    return raw


def _size(document: dict, name: str, what: str) -> int:
    value = document.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{what} has no valid {name}")
    return value


def check_checkpoint(public_key_raw: bytes, checkpoint: dict, origin: str | None = None) -> tuple[int, bytes]:
    """Verify a checkpoint document's signature and key id; return (tree size, root)."""
    tree_size = _size(checkpoint, "tree_size", "the checkpoint")
    root = decode_hash(checkpoint.get("root_hash"), "the checkpoint's root_hash")
    signature = decode_base64(checkpoint.get("signature"), "the checkpoint's signature")
    checkpoint_origin = checkpoint.get("origin")
    if not isinstance(checkpoint_origin, str):
        raise InputError("the checkpoint has no origin")
    if origin is not None and checkpoint_origin != origin:
        raise VerificationError(f"the checkpoint is for the log {checkpoint_origin!r}, not {origin!r}")
    expected_key_id = key_id(checkpoint_origin, public_key_raw)
    if checkpoint.get("key_id") not in (None, expected_key_id):
        raise VerificationError(
            f"the checkpoint was signed with key {checkpoint.get('key_id')}, not the given key {expected_key_id}"
        )
    verify_checkpoint_signature(public_key_raw, checkpoint_origin, tree_size, root, signature)
    return tree_size, root


def check_inclusion(
    public_key_raw: bytes, entry: dict, proof: dict, checkpoint: dict, origin: str | None = None
) -> str:
    """Verify entry ⟶ proof ⟶ signed checkpoint; return a one-line summary."""
    tree_size, root = check_checkpoint(public_key_raw, checkpoint, origin)
    computed = entry_leaf_hash(entry)
    if "leaf_hash" in entry and decode_hash(entry["leaf_hash"], "the entry's leaf_hash") != computed:
        raise VerificationError(f"entry {entry['seq']}: its contents do not hash to its leaf_hash")
    leaf_index = _size(proof, "leaf_index", "the proof")
    if leaf_index != entry["seq"]:
        raise VerificationError(f"the proof is for entry {leaf_index}, not entry {entry['seq']}")
    if _size(proof, "tree_size", "the proof") != tree_size:
        raise VerificationError(
            f"the proof is for a tree of size {proof['tree_size']}, the checkpoint's size is {tree_size}"
        )
    path = proof.get("audit_path")
    if not isinstance(path, list):
        raise InputError("the proof has no audit_path list")
    nodes = [decode_hash(node, f"audit_path[{i}]") for i, node in enumerate(path)]
    verify_inclusion(leaf_index, tree_size, computed, nodes, root)
    return (
        f"entry {entry['seq']} ({entry['kind']}, {entry['subject']}) is included in the signed "
        f"checkpoint of size {tree_size}"
    )


def check_consistency(public_key_raw: bytes, old: dict, new: dict, proof: dict, origin: str | None = None) -> str:
    """Verify that the signed checkpoint ``new`` extends the signed checkpoint ``old``."""
    first, first_root = check_checkpoint(public_key_raw, old, origin)
    second, second_root = check_checkpoint(public_key_raw, new, origin)
    if old.get("origin") != new.get("origin"):
        raise VerificationError("the two checkpoints are from different logs")
    if _size(proof, "first", "the consistency proof") != first or _size(proof, "second", "the proof") != second:
        raise VerificationError(
            f"the proof is between sizes {proof.get('first')} and {proof.get('second')}, "
            f"the checkpoints have sizes {first} and {second}"
        )
    path = proof.get("consistency_path")
    if not isinstance(path, list):
        raise InputError("the proof has no consistency_path list")
    nodes = [decode_hash(node, f"consistency_path[{i}]") for i, node in enumerate(path)]
    verify_consistency(first, second, first_root, second_root, nodes)
    return f"the signed checkpoint of size {second} extends the signed checkpoint of size {first}"


# --- command line ----------------------------------------------------------------------


def _portal_url(portal: str, path: str, **query) -> str:
    url = portal.rstrip("/") + "/api/v1/ledger/" + path
    return url + ("?" + urllib.parse.urlencode(query) if query else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verifier.py", description="Verify Harbour Single Window ledger proofs without trusting the portal."
    )
    parser.add_argument("--origin", help="require checkpoints of this log (default: accept the checkpoint's own)")
    commands = parser.add_subparsers(dest="command", required=True)

    checkpoint_cmd = commands.add_parser("checkpoint", help="check a checkpoint's signature")
    checkpoint_cmd.add_argument("--public-key", required=True, help="public-key JSON, PEM file or base64 key")
    checkpoint_cmd.add_argument("checkpoint", help="checkpoint JSON file, '-' or URL")

    inclusion_cmd = commands.add_parser("inclusion", help="check that an entry is in a signed checkpoint")
    inclusion_cmd.add_argument("--public-key", required=True, help="public-key JSON, PEM file or base64 key")
    inclusion_cmd.add_argument("--entry", help="entry JSON file or URL")
    inclusion_cmd.add_argument("--proof", help="inclusion proof JSON file or URL")
    inclusion_cmd.add_argument("--checkpoint", help="checkpoint JSON file or URL")
    inclusion_cmd.add_argument("--portal", help="fetch what is not given from this portal, e.g. https://hsw.example")
    inclusion_cmd.add_argument("--seq", type=int, help="with --portal: the entry's sequence number")

    consistency_cmd = commands.add_parser("consistency", help="check that a signed checkpoint extends an older one")
    consistency_cmd.add_argument("--public-key", required=True, help="public-key JSON, PEM file or base64 key")
    consistency_cmd.add_argument("--old", required=True, help="the older checkpoint JSON file or URL")
    consistency_cmd.add_argument("--new", required=True, help="the newer checkpoint JSON file or URL")
    consistency_cmd.add_argument("--proof", help="consistency proof JSON file or URL")
    consistency_cmd.add_argument("--portal", help="fetch the proof from this portal")

    args = parser.parse_args(argv)
    try:
        public_key = read_public_key(args.public_key)
        if args.command == "checkpoint":
            size, root = check_checkpoint(public_key, read_json(args.checkpoint), args.origin)
            message = f"the checkpoint of size {size} with root {root.hex()} is signed by the given key"
        elif args.command == "inclusion":
            if args.portal:
                if args.entry is None and args.seq is None:
                    raise InputError("give --entry or --seq with --portal")
                checkpoint = read_json(args.checkpoint or _portal_url(args.portal, "checkpoints/latest"))
                entry = (
                    read_json(args.entry) if args.entry else read_json(_portal_url(args.portal, f"entries/{args.seq}"))
                )
                proof = (
                    read_json(args.proof)
                    if args.proof
                    else read_json(
                        _portal_url(
                            args.portal, f"entries/{entry.get('seq')}/proof", tree_size=checkpoint.get("tree_size")
                        )
                    )
                )
            else:
                if not (args.entry and args.proof and args.checkpoint):
                    raise InputError("give --entry, --proof and --checkpoint (or --portal)")
                entry, proof, checkpoint = read_json(args.entry), read_json(args.proof), read_json(args.checkpoint)
            message = check_inclusion(public_key, entry, proof, checkpoint, args.origin)
        else:
            old, new = read_json(args.old), read_json(args.new)
            if args.proof:
                proof = read_json(args.proof)
            elif args.portal:
                proof = read_json(
                    _portal_url(args.portal, "consistency", first=old.get("tree_size"), second=new.get("tree_size"))
                )
            else:
                raise InputError("give --proof (or --portal)")
            message = check_consistency(public_key, old, new, proof, args.origin)
    except VerificationError as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    except InputError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 2
    print(f"OK: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
