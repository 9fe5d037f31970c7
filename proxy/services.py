"""The long-lived components, built once at start-up and passed explicitly to each request."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from anyio import to_thread

from proxy.analysis.cache import AnalysisCache
from proxy.analysis.engine import DetectionError, Detector, load_detection_config
from proxy.analysis.findings import Finding
from proxy.auth import Identifier
from proxy.errors import DetectionUnavailable
from proxy.exchange import Exchange
from proxy.keystore import KeyStore
from proxy.limits import Limiter
from proxy.policy.checks import PolicyContext
from proxy.policy.quotas import follow_quotas
from proxy.policy.store import PolicyStore
from proxy.register.configured import open_register
from proxy.register.energy import check_zones, with_energy
from proxy.register.store import Register
from proxy.register.writer import RegisterWriter
from proxy.settings import Settings, sso_secret
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
    keys: KeyStore
    register: Register
    writer: RegisterWriter  # appends the rows of requests (group commit)
    upstreams: Upstreams
    pseudonyms: PseudonymSecret
    detection_limiter: anyio.CapacityLimiter
    analysis_cache: AnalysisCache
    identity: Identifier
    limiter: Limiter
    owns_detector: bool = False  # built here, so stopped here (a shared one is closed by its owner)

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
        keys = KeyStore(settings.keys_path)
        policy = PolicyStore(settings.policy, PolicyContext.of(settings, detector.active_entities))
        register = open_register(settings)
        return cls(
            settings=settings,
            detector=detector,
            policy=policy,
            keys=keys,
            register=register,
            writer=RegisterWriter(register, settings.register_seal_interval_s),
            upstreams=Upstreams(settings),
            pseudonyms=PseudonymSecret.load_or_create(settings.pseudonym_secret_path),
            detection_limiter=anyio.CapacityLimiter(settings.detection.max_threads),
            analysis_cache=AnalysisCache(detector.fingerprint, settings.detection.cache_entries),
            identity=Identifier(settings.auth, keys, sso_secret(settings.auth.sso)),
            limiter=follow_quotas(policy, Limiter(settings.limits)),
            owns_detector=owns_detector,
        )

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        self.writer.close()
        self.register.close()
        if self.owns_detector:
            await to_thread.run_sync(self.detector.close)

    async def detect(
        self, texts: Sequence[str], scope: str = "", meanwhile: Callable[[], object] | None = None
    ) -> list[list[Finding]]:
        """Findings per text: from the analysis cache when `scope` (the caller) sent the text before,
        else analysed now (and `meanwhile` run while the NER finishes, see `Detector.detect`)."""
        known = self.analysis_cache.lookup(texts, scope)
        missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            fresh = dict(zip(missing, await self._analyse(missing, meanwhile), strict=True))
            self.analysis_cache.store(fresh, scope)
            known.update((text, tuple(found)) for text, found in fresh.items())
        return [list(known[text]) for text in texts]

    async def _analyse(self, texts: list[str], meanwhile: Callable[[], object] | None) -> list[list[Finding]]:
        """Run detection off the event loop; any failure or timeout refuses the request (fail closed)."""
        try:
            with anyio.fail_after(self.settings.detection.timeout_s):
                # abandon_on_cancel: the deadline interrupts the wait itself (the analysis thread
                # finishes in the background and its result is dropped).
                return await to_thread.run_sync(
                    self.detector.detect,
                    texts,
                    meanwhile,
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
            await self.writer.append(entry)
