"""The charter of use: the Markdown file the policy names, its version and fingerprint, and the gate
that refuses an agent's requests until they have acknowledged the version in force."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from proxy.auth import Caller
from proxy.config_file import ConfigFileError
from proxy.errors import Forbidden, GardefouError, InvalidRequest
from proxy.governance.acks import Acks
from proxy.governance.charter_link import LINK_PARAMETER, CharterLinks
from proxy.governance.config import CharterConfig
from proxy.policy.store import PolicyStore

CHARTER_PATH = "/charte"


class CharterNotAcknowledged(Forbidden):
    code = "charter_not_acknowledged"


class CharterUnavailable(GardefouError):
    status, type, code = 503, "server_error", "charter_unavailable"


@dataclass(frozen=True, slots=True)
class Charter:
    version: str
    sha256: str  # of the file's bytes: an edited text is a new charter even under the same version
    markdown: str

    def html(self) -> str:
        """The charter as HTML; raw HTML in the file is shown as text, unsafe links are dropped."""
        html: str = MarkdownIt("commonmark", {"html": False}).enable("table").render(self.markdown)
        return html


def read_charter(config: CharterConfig, policy_path: Path) -> Charter:
    path = config.file if config.file.is_absolute() else policy_path.parent / config.file
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path} : charte illisible ({type(exc).__name__}).") from exc
    return Charter(config.version, hashlib.sha256(data).hexdigest(), text)


class CharterGate:
    """The charter in force (re-read when the policy or the file changes) and who acknowledged it."""

    def __init__(self, policy: PolicyStore, acks: Acks, links: CharterLinks | None = None) -> None:
        self._policy = policy
        self.acks = acks
        self.links = links  # signed links for agents named by a front-end (charter_link.py)
        self._cache: tuple[object, Charter | None] = (None, None)
        self._lock = threading.Lock()
        try:
            self.current()
        except CharterUnavailable as unavailable:  # an unreadable charter refuses the start
            raise ConfigFileError(str(unavailable.__cause__)) from None

    def current(self) -> Charter | None:
        """The charter in force; CharterUnavailable (503) if its file cannot be read (fail closed)."""
        try:
            return self._read()
        except ConfigFileError as error:
            raise CharterUnavailable(UNAVAILABLE) from error

    def _read(self) -> Charter | None:
        loaded = self._policy.current()
        config = loaded.policy.governance.charter
        if config is None:
            return None
        stamp = (loaded.sha256, _stamp(config.file, loaded.path))
        with self._lock:
            if self._cache[0] != stamp:
                self._cache = (stamp, read_charter(config, loaded.path))
            return self._cache[1]

    def require(self, caller: Caller, base_url: str) -> None:
        """Refuse (403, with the link to the charter page) an agent who has not acknowledged it."""
        charter = self.current()
        if charter is None or self.acks.has(caller.user, charter.version, charter.sha256):
            return
        link = base_url.rstrip("/") + CHARTER_PATH
        if caller.via == "frontend" and self.links is not None:  # no key, no SSO: a signed link
            link += f"?{LINK_PARAMETER}={self.links.mint(caller)}"
        raise CharterNotAcknowledged(
            f"Avant d'utiliser l'IA, lisez et acceptez la charte d'utilisation de la collectivité "
            f"(version {charter.version}) : {link}"
        )

    def acknowledge(self, caller: Caller, version: str, sha256: str) -> Charter | None:
        """Record that `caller` acknowledged the charter they read (it must still be the one in force);
        None when the policy asks for no charter (nothing to record)."""
        charter = self.current()
        if charter is None:
            return None
        if (version, sha256) != (charter.version, charter.sha256):
            raise InvalidRequest("La charte a changé depuis votre lecture : rechargez la page et relisez-la.")
        self.acks.add(caller.user, caller.service, charter.version, charter.sha256)
        return charter


def _stamp(file: Path, policy_path: Path) -> tuple[int, int] | None:
    path = file if file.is_absolute() else policy_path.parent / file
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


UNAVAILABLE = "La charte d'utilisation est introuvable ; contactez votre administrateur."
