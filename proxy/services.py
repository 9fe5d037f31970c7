"""The long-lived components, built once at start-up and passed explicitly to each request."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
from anyio import to_thread

from proxy.analysis.engine import DetectionError, Detector, load_detection_config
from proxy.analysis.findings import Finding
from proxy.errors import DetectionUnavailable
from proxy.exchange import Exchange
from proxy.keystore import KeyStore
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.register.store import Register
from proxy.settings import Settings
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
    policy: LoadedPolicy
    keys: KeyStore
    register: Register
    upstreams: Upstreams
    pseudonyms: PseudonymSecret
    detection_limiter: anyio.CapacityLimiter

    @classmethod
    def build(cls, settings: Settings, detector: Detector | None = None) -> Services:
        """Build everything once; a detector already loaded in this process may be shared."""
        if detector is None:
            detector = Detector(load_detection_config(settings.models_dir))
            detector.warm_up()
        return cls(
            settings=settings,
            detector=detector,
            policy=load_policy(settings.policy),
            keys=KeyStore(settings.keys_path),
            register=Register.open(settings.register_path),
            upstreams=Upstreams(settings),
            pseudonyms=PseudonymSecret.load_or_create(settings.pseudonym_secret_path),
            detection_limiter=anyio.CapacityLimiter(settings.detection.max_threads),
        )

    async def aclose(self) -> None:
        await self.upstreams.aclose()
        self.register.close()

    async def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Run detection off the event loop; any failure or timeout refuses the request (fail closed)."""
        if not any(texts):
            return [[] for _ in texts]
        try:
            with anyio.fail_after(self.settings.detection.timeout_s):
                return await to_thread.run_sync(
                    self.detector.detect, list(texts), limiter=self.detection_limiter
                )
        except (DetectionError, TimeoutError) as exc:
            log.error("detection failed: %s", type(exc).__name__)
            raise DetectionUnavailable(_DETECTION_FAILED) from exc

    async def record(self, exchange: Exchange) -> None:
        """Append the exchange to the register, even while the request is being cancelled."""
        with anyio.CancelScope(shield=True):
            await to_thread.run_sync(self.register.append, exchange.to_entry())
