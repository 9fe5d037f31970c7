"""Ed25519 keys for signed checkpoints and purge records: a private key file outside the database.

The private key is a PEM (PKCS#8) file readable by its owner only, created on first use; the public
key is what the RSSI keeps elsewhere and gives to `gardefou register verify`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


class KeyFileError(ValueError):
    """A key file that cannot be used (French message)."""


@dataclass(frozen=True, slots=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        return PublicKey(self.private_key.public_key())

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")

    def mac(self, text: str) -> str:
        """A keyed tag of `text` (a row hash): only a holder of the private key can make one.

        The writers tag each row they append, so that a row another hand inserted at the head,
        even with a recomputed hash, is told apart before a checkpoint signs it."""
        return hmac.new(_mac_key(self.private_key), text.encode("ascii"), hashlib.sha256).hexdigest()[:32]


@functools.lru_cache(maxsize=8)
def _mac_key(private_key: Ed25519PrivateKey) -> bytes:
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hashlib.sha256(b"gardefou-row-mac:" + raw).digest()


@dataclass(frozen=True, slots=True)
class PublicKey:
    key: Ed25519PublicKey

    @property
    def raw(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        """Short fingerprint naming the key in checkpoints: first 16 hex digits of SHA-256."""
        return hashlib.sha256(self.raw).hexdigest()[:16]

    @property
    def text(self) -> str:
        """One-line printable form: `ed25519:<base64>`."""
        return "ed25519:" + base64.b64encode(self.raw).decode("ascii")

    def verify(self, signature: str, message: bytes) -> bool:
        try:
            self.key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def load_or_create_signer(path: Path) -> Signer:
    """Read the private key file, creating it (mode 0600) when it does not exist yet."""
    if not path.exists():
        _create_key_file(path)
    return load_signer(path)


def load_signer(path: Path) -> Signer:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise KeyFileError(f"{path} : clé de signature illisible ({exc.strerror}).") from exc
    except ValueError as exc:
        raise KeyFileError(f"{path} : ce fichier n'est pas une clé privée PEM.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} : la clé de signature doit être une clé Ed25519.")
    return Signer(key)


def parse_public_key(text: str) -> PublicKey:
    """Accept the printed form `ed25519:<base64>`, bare base64, or a PEM public key."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError("la clé publique doit être une clé Ed25519.")
        return PublicKey(key)
    try:
        raw = base64.b64decode(text.removeprefix("ed25519:"), validate=True)
        return PublicKey(Ed25519PublicKey.from_public_bytes(raw))
    except ValueError as exc:
        raise KeyFileError("clé publique illisible (format attendu : ed25519:<base64>).") from exc


def _create_key_file(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)  # atomic, and never replaces a key another process just created
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
