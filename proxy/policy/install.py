"""Installing a policy from the DPO's page, and rolling back to an earlier one.

The new text is checked as at start-up, written over the policy file atomically (temporary file and
rename), and put in force by the store's own hot reload (the path a hand edit of the file takes;
other worker processes pick it up within their check interval). Every version installed, and the one
it replaced, is kept under `<data_dir>/policy-history/` by its sha256, with one JSON line per install
(when, which hash, which it replaced, by whom), so that any earlier version can be put back.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from proxy.config_file import ConfigFileError
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.policy.store import PolicyStore

JOURNAL = "installations.jsonl"


class InstallError(RuntimeError):
    """A policy that could not be put in force (French message); the previous one stays."""


@dataclass(frozen=True, slots=True)
class Installation:
    ts: str  # UTC, ISO 8601
    sha256: str
    previous: str
    by: str  # the account that installed it (the DPO), never a value from a request
    action: str  # "installation" or "retour arrière"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class PolicyHistory:
    """The versions of the policy put in force from the page, kept for rollback."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, text: str) -> str:
        sha = digest(text)
        path = self.directory / f"{sha}.yaml"
        if not path.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, text)
        return sha

    def text(self, sha256: str) -> str | None:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        path = self.directory / f"{sha256}.yaml"
        return path.read_text(encoding="utf-8") if path.exists() else None

    def record(self, installation: Installation) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / JOURNAL).open("a", encoding="utf-8") as journal:
            journal.write(json.dumps(asdict(installation), ensure_ascii=False) + "\n")

    def installations(self) -> list[Installation]:
        path = self.directory / JOURNAL
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [Installation(**json.loads(line)) for line in lines if line.strip()]


def check(text: str, store: PolicyStore) -> LoadedPolicy:
    """Load `text` as the proxy would (same context as the store); ConfigFileError otherwise."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "politique.yaml"
        path.write_text(text, encoding="utf-8")
        return load_policy(path, store.context)


def install(store: PolicyStore, history: PolicyHistory, text: str, by: str, action: str) -> Installation:
    """Put `text` in force through the store's hot reload; keep both versions; record the install."""
    try:
        check(text, store)
    except ConfigFileError as error:
        raise InstallError("La politique n'est pas valide : corrigez-la avant de l'installer.") from error
    current = store.path.read_text(encoding="utf-8")
    previous = history.keep(current)
    history.keep(text)
    _replace(store.path, text)
    store.reload_if_changed()
    if store.current().sha256 != digest(text):
        _replace(store.path, current)
        store.reload_if_changed()
        raise InstallError(f"La politique n'a pas pu être mise en vigueur : {store.last_error or 'inconnu'}")
    installation = Installation(
        datetime.now(UTC).isoformat(timespec="seconds"), digest(text), previous, by, action
    )
    history.record(installation)
    return installation


def _replace(path: Path, text: str) -> None:
    try:
        _write_atomically(path, text)
    except OSError as error:
        raise InstallError(
            f"Le serveur ne peut pas écrire le fichier de politique ({error.strerror}) : "
            "installez-la sur le serveur, puis elle sera rechargée d'elle-même."
        ) from error


def _write_atomically(path: Path, text: str) -> None:
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
