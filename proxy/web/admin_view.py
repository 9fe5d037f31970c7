"""How the admin pages show the register: French labels, dates in Europe/Paris, periods as UTC bounds.

The register stores identifiers and UTC timestamps; the RSSI reads French words and local time. The
labels are data (the tables below); an unknown id is shown as it is, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from proxy.register.export import decision_label, type_name
from proxy.register.store import TS_FORMAT

PARIS = ZoneInfo("Europe/Paris")

ENDPOINT_LABELS: dict[str, str] = {
    "chat.completions": "conversation",
    "completions": "complétion de texte",
    "embeddings": "vectorisation (embeddings)",
    "responses": "réponses",
    "audio.transcriptions": "transcription audio",
    "models": "liste des modèles",
}

TASK_LABELS: dict[str, str] = {  # proxy/tasks.py TaskKind -> French
    "title": "titre de conversation",
    "tags": "étiquettes",
    "follow_ups": "suggestions de relance",
    "query": "requête de recherche",
    "autocomplete": "autocomplétion",
    "emoji": "émoji",
    "image_prompt": "description d'image",
    "function_calling": "appel d'outils",
    "moa": "mélange de modèles",
    "other": "autre tâche de fond",
}
NO_TASK_LABEL = "usage par l'agent"

HOSTING_LABELS: dict[str, str] = {
    "local": "sur site (local)",
    "sovereign": "cloud souverain",
    "eu": "Union européenne",
    "non_eu": "hors Union européenne",
}


def local_time(ts: str) -> str:
    """'2026-03-14T09:05:01.123456Z' -> '14/03/2026 10:05:01' (Europe/Paris, no microseconds)."""
    moment = datetime.strptime(ts, TS_FORMAT).replace(tzinfo=UTC).astimezone(PARIS)
    return moment.strftime("%d/%m/%Y %H:%M:%S")


VERDICT_LABELS: dict[str, str] = {
    "forward": "transmise",
    "reroute": "transmise à un autre modèle (réacheminée)",
    "refuse": "refusée",
}

ACTION_LABELS: dict[str, str] = {
    "pseudonymise": "pseudonymisée (remplacée, puis restituée dans la réponse)",
    "mask": "masquée (remplacée, jamais restituée)",
    "block": "bloque la requête",
    "allow": "laissée telle quelle",
}


def verdict_label(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict)


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def hosting_label(hosting: str) -> str:
    return HOSTING_LABELS.get(str(hosting), str(hosting))


def endpoint_label(endpoint: str) -> str:
    return ENDPOINT_LABELS.get(endpoint, endpoint)


def task_label(task: str | None) -> str:
    return NO_TASK_LABEL if task is None else TASK_LABELS.get(task, task)


def removed(counts_json: str) -> list[dict[str, Any]]:
    counts: Mapping[str, int] = json.loads(counts_json)
    return [{"type": type_name(k), "nombre": v} for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]


def row_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """One register row as stored (the API's fields stay stable), plus its French labels and its
    local time for the register browser."""
    return {
        **row,
        "date": local_time(row["ts"]),
        "route": endpoint_label(row["endpoint"]),
        "decision_label": decision_label(row["decision"]),
        "removed": removed(row["entity_counts"]),
        "task_label": task_label(row.get("task")),
        "rules": json.loads(row["rule_ids"]),
        "observed_rules": json.loads(row.get("observed_rule_ids") or "[]"),
    }


def utc_bound(day: date) -> str:
    """Midnight of `day` in Paris, as a register timestamp (UTC)."""
    moment = datetime.combine(day, time.min, PARIS).astimezone(UTC)
    return moment.strftime(TS_FORMAT)


def month_bounds(month: str) -> tuple[str, str]:
    """'2026-03' -> the UTC bounds of March 2026 in Paris (since inclusive, until exclusive)."""
    first = date.fromisoformat(f"{month}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return utc_bound(first), utc_bound(following)


def age_text(seconds: float) -> str:
    """'il y a 3 min', 'il y a 2 h 05', 'il y a 4 j' (French, rounded)."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "il y a moins d'une minute"
    if minutes < 60:
        return f"il y a {minutes} min"
    if minutes < 48 * 60:
        return f"il y a {minutes // 60} h {minutes % 60:02d}"
    return f"il y a {minutes // (24 * 60)} j"
