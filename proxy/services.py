"""The long-lived components, built once at start-up and passed explicitly to each request."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import anyio
from anyio import to_thread

from proxy.analysis.cache import AnalysisCache
from proxy.analysis.engine import DetectionError, Detector, load_detection_config
from proxy.analysis.findings import Finding
from proxy.auth import Identifier
from proxy.errors import DetectionUnavailable
from proxy.exchange import Exchange
from proxy.governance.acks_pg import open_acks
from proxy.governance.charter import CharterGate
from proxy.governance.charter_link import LINK_PURPOSE, CharterLinks
from proxy.governance.transparency import TransparencyCache
from proxy.keystore import Keys
from proxy.keystore_configured import open_keystore
from proxy.limits import Limiter
from proxy.limits_redis import RedisCounters
from proxy.metrics import Metrics, RegisterState
from proxy.policy.checks import PolicyContext, custom_types_named
from proxy.policy.quotas import follow_quotas
from proxy.policy.store import PolicyStore
from proxy.register.configured import open_register
from proxy.register.energy import check_zones, with_energy
from proxy.register.store import TS_FORMAT, Register
from proxy.register.writer import RegisterWriter
from proxy.settings import Settings, frontend_secrets, sso_secret
from proxy.siem import SiemExport
from proxy.timings import current, note_detection, note_entry
from proxy.transform.secret import PseudonymSecret
from proxy.upstream import Upstreams

log = logging.getLogger("gardefou")

_DETECTION_FAILED = (
    "L'analyse des données personnelles a échoué ; par sécurité, la requête n'a pas été transmise. "
    "Réessayez dans un instant ou contactez votre administrateur."
)


@dataclass
class Services:
    settings: Settings
    detector: Detector
    policy: PolicyStore
    keys: Keys
    register: Register
    writer: RegisterWriter  # appends the rows of requests (group commit)
    upstreams: Upstreams
    pseudonyms: PseudonymSecret
    detection_limiter: anyio.CapacityLimiter
    analysis_cache: AnalysisCache
    identity: Identifier
    limiter: Limiter
    metrics: Metrics
    charter: CharterGate  # charter of use: acknowledged before any request (proxy/governance)
    siem: SiemExport | None = None  # a copy of every row and checkpoint for the SIEM (siem.*)
    owns_detector: bool = False  # built here, so stopped here (a shared one is closed by its owner)
    register_failing: bool = False  # the last append failed (readiness)
    transparency: TransparencyCache = field(default_factory=TransparencyCache)  # /transparence

    @classmethod
    def build(cls, settings: Settings, detector: Detector | None = None) -> Services:
        """Build everything once; a detector already loaded in this process may be shared."""
        owns_detector = detector is None
        if detector is None:
            detection = settings.detection
            detector = Detector(
                load_detection_config(settings.models_dir), detection.processes, detection.timeout_s
            )
            detector.warm_up()
        check_zones(settings.upstreams)  # an unknown electricity zone refuses the start
        keys = open_keystore(settings)
        context = PolicyContext.of(settings, detector.active_entities)
        policy = PolicyStore(settings.policy, context, active_entities=lambda: detector.active_entities)
        detector.require_custom(lambda: custom_types_named(policy.policy))
        register = open_register(settings)
        metrics = Metrics(settings, lambda: _register_state(register))
        pseudonyms = PseudonymSecret.load_or_create(settings.pseudonym_secret_path)
        links = CharterLinks(pseudonyms.derived_key(LINK_PURPOSE))  # charter links (front-ends)
        return cls(
            settings=settings,
            detector=detector,
            policy=policy,
            keys=keys,
            register=register,
            writer=RegisterWriter(register, settings.register_seal_interval_s),
            upstreams=Upstreams(settings),
            pseudonyms=pseudonyms,
            detection_limiter=anyio.CapacityLimiter(settings.detection.max_threads),
            analysis_cache=AnalysisCache(detector.fingerprint, settings.detection.cache_entries),
            identity=Identifier(
                settings.auth, keys, sso_secret(settings.auth.sso), frontend_secrets(settings.auth)
            ),
            limiter=follow_quotas(policy, Limiter(settings.limits, shared=shared_counters(settings))),
            metrics=metrics,
            siem=_siem_export(settings, register, metrics),
            charter=CharterGate(policy, open_acks(settings), links),
            owns_detector=owns_detector,
        )

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        await self.limiter.aclose()
        self.writer.close()
        self.register.close()
        if self.siem is not None:
            await to_thread.run_sync(self.siem.close)
        self.charter.acks.close()
        self.keys.close()
        if self.owns_detector:
            await to_thread.run_sync(self.detector.close)

    async def detect(self, texts: Sequence[str], scope: str = "") -> list[list[Finding]]:
        """Findings per text: from the analysis cache when `scope` (the caller) sent the text before,
        else analysed now."""
        started = time.perf_counter()
        distinct = dict.fromkeys(texts)
        known = self.analysis_cache.lookup(distinct, scope)
        missing = [text for text in distinct if text not in known]
        if missing:
            fresh = dict(zip(missing, await self._analyse(missing), strict=True))
            self.analysis_cache.store(fresh, scope)
            known.update((text, tuple(found)) for text, found in fresh.items())
        elapsed = time.perf_counter() - started
        looked_up = sum(1 for text in distinct if text.strip())
        self.metrics.analysed(elapsed, looked_up, looked_up - len(missing))
        note_detection(elapsed)
        return [list(known[text]) for text in texts]

    async def _analyse(self, texts: list[str]) -> list[list[Finding]]:
        """Run detection off the event loop; any failure or timeout refuses the request (fail closed)."""
        try:
            with anyio.fail_after(self.settings.detection.timeout_s):
                # abandon_on_cancel: the deadline interrupts the wait itself (the analysis thread
                # finishes in the background and its result is dropped).
                return await to_thread.run_sync(
                    self.detector.detect,
                    texts,
                    limiter=self.detection_limiter,
                    abandon_on_cancel=True,
                )
        except (DetectionError, TimeoutError) as exc:
            log.error("detection failed: %s", type(exc).__name__)
            raise DetectionUnavailable(_DETECTION_FAILED) from exc

    async def record(self, exchange: Exchange) -> None:
        """Append the exchange to the register, even while the request is being cancelled."""
        with anyio.CancelScope(shield=True):
            entry = with_energy(exchange.to_entry(), self.settings)
            started = time.perf_counter()
            try:
                await self.writer.append(entry)
            except BaseException:
                self.register_failing = True
                raise
            self.register_failing = False
            self.metrics.recorded(entry, time.perf_counter() - started, current())
            note_entry(entry)


def _register_state(register: Register) -> RegisterState:
    last = register.last_checkpoint()
    if last is None:
        return RegisterState(None)
    return RegisterState(datetime.strptime(last.ts, TS_FORMAT).replace(tzinfo=UTC).timestamp())


def _siem_export(settings: Settings, register: Register, metrics: Metrics) -> SiemExport | None:
    """The SIEM copy, hooked to the register's commits (rows and checkpoints once durable)."""
    if not settings.siem.enabled:
        return None
    export = SiemExport(
        settings.siem,
        register.register_id,
        on_sent=lambda kind: metrics.siem_sent.labels(kind).inc(),
        on_dropped=metrics.siem_dropped.inc,
    )
    register.on_commit = export.submit
    return export


def shared_counters(settings: Settings) -> RedisCounters | None:
    """The Redis shared by every instance for rate limits, if `limits.backend` names one. A place
    held by an instance killed mid-request lapses after the longest a request may last."""
    limits = settings.limits
    if limits.backend == "memory":
        return None
    return RedisCounters(limits.backend, limits.backend_timeout_s, limits.upstream_deadline_s + 60)
