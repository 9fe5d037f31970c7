"""Readiness: is this process able to serve? NER workers answering, register writable, policy
loaded, upstreams reachable. Every problem is said in French, for the supervision and the RSSI.

A watch task (started by the app's lifespan) keeps the figures that cost something fresh: each
upstream is probed every `health.upstream_interval_s`, the register is fully verified every
`metrics.verify_interval_s`; the NER workers' heartbeats are read at each readiness call (free), so
stopped workers make /readyz fail within `health.ner_stale_s`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

import anyio
from anyio import to_thread

from proxy.register.configured import verify_configured
from proxy.services import Services
from proxy.settings import UpstreamSettings

log = logging.getLogger("gardefou")

_TICK_S = 0.5
_FIRST_VERIFY_S = 60.0  # not while the server starts: a full verification holds the GIL a while


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str  # French


@dataclass(frozen=True, slots=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    def body(self) -> dict[str, object]:
        problems = [check.detail for check in self.checks if not check.ok]
        return {
            "statut": "prêt" if self.ready else "indisponible",
            "problemes": problems,
            "verifications": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks},
        }


@dataclass
class Health:
    services: Services
    upstream_up: dict[str, bool] = field(default_factory=dict)  # name -> reachable at the last probe
    _restarts_seen: int = 0

    def readiness(self) -> Readiness:
        checks = (self._ner(), self._register(), self._policy(), self._upstreams())
        self.services.metrics.ready.set(1 if all(c.ok for c in checks) else 0)
        return Readiness(checks)

    def _ner(self) -> Check:
        health = self.services.detector.ner_health(self.services.settings.health.ner_stale_s)
        if health is None:
            return Check("analyse", True, "Analyse dans le processus du serveur.")
        metrics = self.services.metrics
        metrics.ner_workers.labels("answering").set(health.answering)
        metrics.ner_workers.labels("silent").set(health.workers - health.answering)
        if health.restarts > self._restarts_seen:
            metrics.ner_restarts.inc(health.restarts - self._restarts_seen)
            self._restarts_seen = health.restarts
        if health.answering < health.workers:
            silent = health.workers - health.answering
            return Check(
                "analyse", False, f"{silent} processus d'analyse sur {health.workers} ne répondent pas."
            )
        return Check("analyse", True, f"{health.workers} processus d'analyse répondent.")

    def _register(self) -> Check:
        path = self.services.register.path
        if not self.services.writer.alive:
            return Check("registre", False, "Le fil d'écriture du registre est arrêté.")
        if path is not None and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            return Check("registre", False, "Le fichier du registre (ou son dossier) n'est pas inscriptible.")
        if self.services.register_failing:
            return Check("registre", False, "La dernière inscription au registre a échoué.")
        return Check("registre", True, "Registre inscriptible.")

    def _policy(self) -> Check:
        try:
            loaded = self.services.policy.current()
        except Exception as error:  # a policy that cannot be read: not ready (the type only)
            return Check("politique", False, f"Politique illisible ({type(error).__name__}).")
        return Check("politique", True, f"Politique chargée (sha256 {loaded.sha256[:12]}).")

    def _upstreams(self) -> Check:
        """Ready while one upstream at least is reachable (or not probed yet); each down one is named."""
        names = [u.name for u in self.services.settings.upstreams]
        down = [name for name in names if self.upstream_up.get(name) is False]
        if not down:
            return Check("amonts", True, "Modèles amont joignables.")
        detail = "Modèle(s) amont injoignable(s) : " + ", ".join(down) + "."
        return Check("amonts", len(down) < len(names), detail)

    async def watch(self) -> None:
        """Probe upstreams, verify the register and refresh the gauges, until cancelled."""
        settings = self.services.settings
        next_probe, next_verify = 0.0, time.monotonic() + _FIRST_VERIFY_S
        while True:
            now = time.monotonic()
            if now >= next_probe:
                next_probe = now + settings.health.upstream_interval_s
                await self._probe_upstreams()
            if settings.metrics.verify_interval_s and now >= next_verify:
                next_verify = now + settings.metrics.verify_interval_s
                await self._verify()
            self.readiness()
            await anyio.sleep(_TICK_S)

    async def _probe_upstreams(self) -> None:
        timeout = self.services.settings.health.upstream_timeout_s

        async def probe(upstream: UpstreamSettings) -> None:
            up = await self.services.upstreams.reachable(upstream, timeout)
            self.upstream_up[upstream.name] = up
            self.services.metrics.upstream_up.labels(upstream.name).set(1 if up else 0)

        async with anyio.create_task_group() as tasks:
            for upstream in self.services.settings.upstreams:
                tasks.start_soon(probe, upstream)

    async def _verify(self) -> None:
        try:
            report = await to_thread.run_sync(
                verify_configured, self.services.settings, abandon_on_cancel=True
            )
        except Exception as error:
            log.warning("register verification could not run: %s", type(error).__name__)
            return
        if report is None:
            return
        self.services.metrics.verify_ok.set(1 if report.ok else 0)
        self.services.metrics.verify_time.set(time.time())
        if not report.ok:
            log.error("register verification: %d problem(s)", report.problem_count)
