"""Prometheus metrics: the only importer of prometheus_client.

Uses are counted from the register entry, at the one place rows are written (`Services.record`),
so the metrics and the register agree by construction. Labels are identifiers from the
configuration (route, service, model, hosting, decision, rule, entity type, attachment kind): never
an agent, a text, a value or a key. A model the configuration does not serve is counted as
"(autre)", so a client cannot create series at will.

With `gardefou serve --workers N` each process writes its figures to files in a shared directory
(prometheus_client's multiprocess mode, $PROMETHEUS_MULTIPROC_DIR, set by `serve`), and /metrics in
any process adds them up. The register-wide gauges (checkpoint age, last verification) are read from
the register file when /metrics is scraped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from proxy.register.entry import Decision, RegisterEntry
from proxy.settings import Settings, metrics_multiprocess_dir
from proxy.timings import Trace

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OTHER_MODEL = "(autre)"
NO_UPSTREAM = "(aucun)"
NO_RULE = "(aucune)"

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_SLOW = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True, slots=True)
class RegisterState:
    """What the register file says when scraped (seconds since the Unix epoch)."""

    last_checkpoint_ts: float | None


class Metrics:
    """The proxy's metrics, in a registry of their own (several apps may live in one test process)."""

    def __init__(self, settings: Settings, register_state: Callable[[], RegisterState] | None = None) -> None:
        self._directory = metrics_multiprocess_dir()
        self.registry = CollectorRegistry()
        self._hosting = {u.name: str(u.hosting) for u in settings.upstreams}
        self._models = frozenset(m for u in settings.upstreams for m in u.models)
        self._uses(self.registry)
        self._timings(self.registry)
        self._service(self.registry)
        self._register(self.registry)
        self._register_state = register_state
        self.registry.register(_RegisterCollector(register_state))
        # Labelled children by label values: `labels()` validates and locks on every call (~40% of
        # counting a row); the values come from the configuration, so the map stays small.
        self._children: dict[tuple[object, ...], Any] = {}

    def _uses(self, r: CollectorRegistry) -> None:
        self.requests = Counter(
            "gardefou_requests",
            "Usages inscrits au registre, par route, service, modèle, hébergement et décision.",
            ["route", "service", "model", "hosting", "decision"],
            registry=r,
        )
        self.refusals = Counter(
            "gardefou_refusals", "Requêtes refusées, par code d'erreur.", ["code"], registry=r
        )
        self.refusal_rules = Counter(
            "gardefou_refusal_rules", "Règles de la politique en cause dans les refus.", ["rule"], registry=r
        )
        self.findings = Counter(
            "gardefou_findings",
            "Données personnelles retirées avant l'envoi, par type d'entité.",
            ["entity"],
            registry=r,
        )
        self.attachments = Counter(
            "gardefou_attachments",
            "Pièces jointes, par nature et traitement.",
            ["kind", "treatment"],
            registry=r,
        )

    def _timings(self, r: CollectorRegistry) -> None:
        self.request_seconds = Histogram(
            "gardefou_request_duration_seconds",
            "Durée totale d'un usage.",
            ["route"],
            buckets=_SLOW,
            registry=r,
        )
        self.detection_seconds = Histogram(
            "gardefou_detection_duration_seconds",
            "Durée de la détection par requête.",
            buckets=_FAST,
            registry=r,
        )
        self.first_byte_seconds = Histogram(
            "gardefou_upstream_first_byte_seconds",
            "Délai avant la réponse du modèle amont (en-têtes reçus).",
            ["upstream"],
            buckets=_SLOW,
            registry=r,
        )
        self.append_seconds = Histogram(
            "gardefou_register_append_seconds",
            "Attente de l'inscription durable d'une ligne au registre.",
            buckets=_FAST,
            registry=r,
        )

    def _service(self, r: CollectorRegistry) -> None:
        self.ner_workers = Gauge(
            "gardefou_ner_workers",
            "Processus d'analyse (NER), par état.",
            ["state"],
            multiprocess_mode="livesum",
            registry=r,
        )
        self.ner_restarts = Counter(
            "gardefou_ner_worker_restarts", "Processus d'analyse remplacés.", registry=r
        )
        self.upstream_up = Gauge(
            "gardefou_upstream_up",
            "Modèle amont joignable (1) ou non (0) au dernier sondage.",
            ["upstream"],
            multiprocess_mode="livemin",
            registry=r,
        )
        self.ready = Gauge(
            "gardefou_ready", "Prêt à servir (1) ou non (0).", multiprocess_mode="livemin", registry=r
        )
        self.cache_lookups = Counter(
            "gardefou_analysis_cache_lookups", "Textes cherchés dans le cache d'analyse.", registry=r
        )
        self.cache_hits = Counter(
            "gardefou_analysis_cache_hits", "Textes trouvés dans le cache d'analyse.", registry=r
        )

    def _register(self, r: CollectorRegistry) -> None:
        self.verify_ok = Gauge(
            "gardefou_register_verify_ok",
            "Dernière vérification complète du registre : 1 intègre, 0 anomalie.",
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self.verify_time = Gauge(
            "gardefou_register_verify_timestamp_seconds",
            "Date de la dernière vérification complète du registre.",
            multiprocess_mode="max",
            registry=r,
        )
        self.siem_sent = Counter("gardefou_siem_sent", "Messages envoyés au SIEM.", ["kind"], registry=r)
        self.siem_dropped = Counter(
            "gardefou_siem_dropped",
            "Messages pour le SIEM abandonnés (file pleine, envoi impossible).",
            registry=r,
        )

    # -- per request -------------------------------------------------------------------------

    def recorded(self, entry: RegisterEntry, append_s: float, trace: Trace | None) -> None:
        """Count one register row (called once the row is written)."""
        route = entry.endpoint
        model, hosting = self._model(entry), self._hosting_of(entry)
        self._child(self.requests, route, entry.service, model, hosting, str(entry.decision)).inc()
        if entry.decision is Decision.BLOCKED:
            self._child(self.refusals, entry.error_code or NO_RULE).inc()
            for rule in entry.rule_ids or (NO_RULE,):
                self._child(self.refusal_rules, rule).inc()
        for entity, count in entry.entity_counts.items():
            self._child(self.findings, entity).inc(count)
        for key, count in entry.attachments.items():
            kind, _, treatment = key.partition(":")
            self._child(self.attachments, kind, treatment or NO_RULE).inc(count)
        self._child(self.request_seconds, route).observe(entry.duration_ms / 1000)
        self.append_seconds.observe(append_s)
        if trace is not None and trace.upstream_first_byte_s is not None and entry.upstream:
            self._child(self.first_byte_seconds, entry.upstream).observe(trace.upstream_first_byte_s)

    def _child(self, metric: Any, *values: str) -> Any:
        key = (id(metric), *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def analysed(self, seconds: float, texts: int, cached: int) -> None:
        self.detection_seconds.observe(seconds)
        self.cache_lookups.inc(texts)
        self.cache_hits.inc(cached)

    def _model(self, entry: RegisterEntry) -> str:
        model = entry.routed_model or entry.model
        return model if model in self._models else OTHER_MODEL

    def _hosting_of(self, entry: RegisterEntry) -> str:
        return self._hosting.get(entry.upstream or "", NO_UPSTREAM)

    # -- scrape ------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The text format Prometheus reads: every process's figures, plus the register's state."""
        if self._directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self._directory))  # type: ignore[no-untyped-call]
        registry.register(_RegisterCollector(self._register_state))
        return generate_latest(registry)


def mark_process_dead(pid: int) -> None:
    """Drop a stopped worker process's live gauges (multiprocess mode)."""
    directory = metrics_multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


class _RegisterCollector(Collector):
    def __init__(self, state: Callable[[], RegisterState] | None) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        if self._state is None:
            return
        last = self._state().last_checkpoint_ts
        age = GaugeMetricFamily(
            "gardefou_register_checkpoint_age_seconds",
            "Âge du dernier point de contrôle signé du registre (absent : aucun).",
        )
        if last is not None:
            age.add_metric([], max(0.0, time.time() - last))
        yield age
