"""The portal's Ed25519 checkpoint key.

Where the private key comes from, first match wins:

1. ``LEDGER_SIGNING_KEY`` in the environment: a PEM private key (PKCS#8, ``-----BEGIN
   PRIVATE KEY-----``) or the 32-byte Ed25519 seed in standard base64;
2. the file named by ``LEDGER_SIGNING_KEY_FILE`` (default ``.ledger-signing-key`` in the
   project folder), holding the same PEM. When that file does not exist it is generated
   on first use with mode 0600 — convenient in the embedded default; in a deployment with
   several machines set ``LEDGER_SIGNING_KEY`` (or share the file) so that every process
   signs with the same key. The file is in ``.gitignore``: never commit it.

What is signed (see :mod:`portal.ledger.verifier`): the C2SP tlog-checkpoint body
``<origin>\\n<tree size>\\n<base64 root hash>\\n`` with origin :data:`LEDGER_ORIGIN`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .verifier import checkpoint_body, key_id

logger = logging.getLogger(__name__)

LEDGER_ORIGIN = "harbour-single-window"
_lock = threading.Lock()
_cache: dict[str, Ed25519PrivateKey] = {}


@dataclass(frozen=True)
class PublicKeyInfo:
    origin: str
    key_id: str
    raw: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @property
    def pem(self) -> str:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = Ed25519PublicKey.from_public_bytes(self.raw)
        return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_file_path() -> Path:
    return Path(os.environ.get("LEDGER_SIGNING_KEY_FILE") or settings.BASE_DIR / ".ledger-signing-key")


def parse_private_key(text: str | bytes) -> Ed25519PrivateKey:
    """A PEM private key or a base64 32-byte seed."""
    data = text.encode() if isinstance(text, str) else text
    if b"PRIVATE KEY" in data:
        key = load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("The ledger signing key is not an Ed25519 key.")
        return key
    try:
        seed = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured("The ledger signing key is neither PEM nor base64.") from None
    if len(seed) != 32:
        raise ImproperlyConfigured("A base64 ledger signing key must decode to 32 bytes.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _key_from_file(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        # O_EXCL: two processes starting together must not both write a key.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return parse_private_key(path.read_bytes())
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        logger.warning("Generated a new ledger signing key in %s; set LEDGER_SIGNING_KEY in production.", path)
        return key
    return parse_private_key(path.read_bytes())


def private_key() -> Ed25519PrivateKey:
    """The signing key, loaded once per process (per source)."""
    source = os.environ.get("LEDGER_SIGNING_KEY") or ""
    cache_key = f"env:{source}" if source else f"file:{key_file_path()}"
    with _lock:
        if cache_key not in _cache:
            _cache[cache_key] = parse_private_key(source) if source else _key_from_file(key_file_path())
        return _cache[cache_key]


def public_key_info() -> PublicKeyInfo:
    raw = private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PublicKeyInfo(origin=LEDGER_ORIGIN, key_id=key_id(LEDGER_ORIGIN, raw), raw=raw)


def sign_tree_head(tree_size: int, root: bytes) -> tuple[bytes, str]:
    """(Ed25519 signature of the checkpoint body, key id)."""
    signature = private_key().sign(checkpoint_body(LEDGER_ORIGIN, tree_size, root))
    return signature, public_key_info().key_id


def signed_note(tree_size: int, root: bytes, signature: bytes, signer_key_id: str) -> str:
    """The checkpoint as a C2SP signed note: body, blank line, ``— <origin> <base64(key hash ‖ signature)>``."""
    body = checkpoint_body(LEDGER_ORIGIN, tree_size, root).decode()
    stamp = base64.b64encode(bytes.fromhex(signer_key_id) + signature).decode("ascii")
    return f"{body}\n\u2014 {LEDGER_ORIGIN} {stamp}\n"
