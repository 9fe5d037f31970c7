"""The policy in force, hot-reloaded when its file changes, but only if the new version is valid.

The file's modification stamp is looked at (at most once per `interval_s`) when a request asks for
the policy; a changed file is loaded and checked like at start-up. On any problem the previous
policy stays in force and the problem is logged (file, line, key: never a value from a request).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from proxy.config_file import ConfigFileError
from proxy.entities import EntityType
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.policy.schema import Policy

log = logging.getLogger("gardefou.policy")

Stamp = tuple[int, int] | None


def _stamp(path: Path) -> Stamp:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class PolicyStore:
    """Holds the LoadedPolicy in force; raises ConfigFileError at construction if the file is invalid."""

    def __init__(
        self,
        path: Path,
        context: PolicyContext,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        active_entities: Callable[[], frozenset[EntityType]] | None = None,
    ) -> None:
        self._path, self._context = path, context
        self._active = active_entities  # the detector's types now (its custom recognizers reload too)
        self._interval, self._clock = interval_s, clock
        self._stamp = _stamp(path)
        self._loaded = load_policy(path, context)
        self._next_check = clock() + interval_s
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self._listeners: list[Callable[[LoadedPolicy], None]] = []

    def subscribe(self, listener: Callable[[LoadedPolicy], None]) -> None:
        """Call `listener` with each new policy put in force."""
        self._listeners.append(listener)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def context(self) -> PolicyContext:
        """What a candidate policy must agree with (served models, hosting, active recognizers): the
        recognizers in force now, custom ones included."""
        if self._active is None:
            return self._context
        return replace(self._context, active_entities=self._active())

    @property
    def policy(self) -> Policy:
        return self.current().policy

    @property
    def sha256(self) -> str:
        return self.current().sha256

    def current(self) -> LoadedPolicy:
        """The policy in force, after reloading the file if it changed."""
        if self._clock() >= self._next_check:
            self.reload_if_changed()
        return self._loaded

    def reload_if_changed(self) -> bool:
        """Load the file if its stamp changed; True if a new policy is now in force."""
        with self._lock:
            self._next_check = self._clock() + self._interval
            stamp = _stamp(self._path)
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            return self._reload()

    def _reload(self) -> bool:
        try:
            loaded = load_policy(self._path, self.context)
        except ConfigFileError as error:
            self.last_error = str(error)
            log.error("policy reload refused, previous policy kept (%s): %s", self._loaded.sha256, error)
            return False
        previous, self._loaded, self.last_error = self._loaded.sha256, loaded, None
        for listener in self._listeners:
            listener(loaded)
        if loaded.sha256 != previous:
            log.info("policy reloaded: %s -> %s", previous, loaded.sha256)
        return True
