"""Exports of the register for the RSSI and the DPO: CSV (spreadsheets) or JSON lines, French headers.

CSV is UTF-8 with a byte-order mark (LibreOffice and Excel then detect the encoding), comma-separated,
decimal point; pandas reads it with `read_csv(path)`. The French-spreadsheet variant (the admin page's)
separates with `;` and writes decimal commas, as a French Excel expects. Decisions and entity types
are written with their French labels; the chain hash of each row is included
so an extract can be checked later.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TextIO

from proxy.entities import entity_type
from proxy.register.entry import Decision

# stored column -> French header
HEADERS: dict[str, str] = {
    "seq": "numero",
    "ts": "horodatage_utc",
    "request_id": "identifiant_requete",
    "user": "utilisateur",
    "service": "service",
    "endpoint": "point_d_acces",
    "model": "modele_demande",
    "routed_model": "modele_utilise",
    "upstream": "serveur_amont",
    "decision": "decision",
    "status": "statut_http",
    "error_code": "code_erreur",
    "entity_counts": "donnees_retirees",
    "redactions": "nb_donnees_retirees",
    "rule_ids": "regles_appliquees",
    "observed_rule_ids": "regles_observees",
    "task": "tache",
    "stream": "flux",
    "duration_ms": "duree_ms",
    "prompt_tokens": "jetons_entree",
    "completion_tokens": "jetons_sortie",
    "energy_wh": "energie_wh",
    "gco2e": "emissions_gco2e",
    "policy_sha256": "empreinte_politique",
    "hash": "empreinte_ligne",
}


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


def entity_label(entity_id: str) -> str:
    """French placeholder stem of an entity type (PERSON -> PERSONNE); unknown ids as they are."""
    try:
        return entity_type(entity_id).label
    except ValueError:
        return entity_id


def type_name(entity_id: str) -> str:
    """French name of a data type: PERSON -> 'nom de personne' (its phrase without the article)."""
    try:
        return entity_type(entity_id).phrase.split(" ", 1)[1]
    except ValueError:
        return entity_id


def decision_label(value: str) -> str:
    try:
        return Decision(value).label
    except ValueError:
        return value


def export_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """One stored row as an export record (French keys, structured values)."""
    counts = {entity_label(k): v for k, v in json.loads(row["entity_counts"]).items()}
    values = {column: row.get(column) for column in HEADERS}
    values |= {
        "decision": decision_label(row["decision"]),
        "entity_counts": counts,
        "redactions": sum(counts.values()),
        "rule_ids": json.loads(row["rule_ids"]),
        "observed_rule_ids": json.loads(row.get("observed_rule_ids") or "[]"),
        "stream": bool(row["stream"]),
    }
    return {HEADERS[column]: value for column, value in values.items()}


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(export_record(row), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO, *, french: bool = False) -> int:
    """Write the header and the rows; `out` should be opened with encoding 'utf-8-sig', newline=''.
    `french`: `;` separators and decimal commas (French spreadsheets)."""
    writer = csv.writer(out, delimiter=";" if french else ",")
    writer.writerow(HEADERS.values())
    count = 0
    for row in rows:
        writer.writerow(_csv_cell(value, french) for value in export_record(row).values())
        count += 1
    return count


def _csv_cell(value: Any, french: bool = False) -> Any:
    if isinstance(value, float) and french:
        return repr(value).replace(".", ",")
    if isinstance(value, dict):
        return ", ".join(f"{key}:{count}" for key, count in value.items())
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return "oui" if value else "non"
    return "" if value is None else value


def write_export(
    rows: Iterable[Mapping[str, Any]], out: TextIO, fmt: ExportFormat, *, french: bool = False
) -> int:
    return write_csv(rows, out, french=french) if fmt is ExportFormat.CSV else write_jsonl(rows, out)
