"""The server's pseudonymisation secret: one file in the data directory, created once, never logged.

Each caller gets its own key derived from it, so the same value gets different pseudonyms for
different agents, and nobody without the file can compute the pseudonym of a guessed value.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from proxy.config_file import ConfigFileError

_SECRET_BYTES = 32
_CONTEXT = b"gardefou/pseudonyms/v1\x00"


class SecretFileError(ConfigFileError):
    """The secret file is unreadable, malformed or readable by others (refuse to start)."""


@dataclass(frozen=True, slots=True)
class PseudonymSecret:
    _secret: bytes = field(repr=False)

    @classmethod
    def load_or_create(cls, path: Path) -> PseudonymSecret:
        if not path.exists():
            _create(path)
        return cls(_read(path))

    def key_for(self, user: str) -> bytes:
        """The caller's own key: HMAC(secret, context || user)."""
        return hmac.digest(self._secret, _CONTEXT + user.encode(), hashlib.sha256)

    def derived_key(self, purpose: str) -> bytes:
        """A key for another single purpose (e.g. the charter links), independent of the pseudonyms':
        HMAC(secret, "gardefou/<purpose>/v1")."""
        return hmac.digest(self._secret, f"gardefou/{purpose}/v1".encode(), hashlib.sha256)


def _create(path: Path) -> None:
    """Write the secret beside its final name, then link it in: concurrent starts agree on one file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(_SECRET_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process was first: theirs is the one
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(
            f"Le fichier secret {path} est accessible à d'autres utilisateurs ; "
            f"restreignez-le (chmod 600 {path})."
        )
    try:
        secret = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (UnicodeDecodeError, ValueError):
        secret = b""
    if len(secret) < _SECRET_BYTES:
        raise SecretFileError(f"Le fichier secret {path} est illisible ou trop court.")
    return secret
