"""The RSSI's routes: read, verify and export the register; statistics (also for the DPO).

The work is done by the register's own functions (proxy/register/*). These are plain `def` routes:
they run in the thread pool, each on a read-only connection of its own.
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from proxy.auth import Caller
from proxy.errors import NotFound
from proxy.register import configured
from proxy.register.export import ExportFormat, write_export
from proxy.register.journal import read_checkpoints
from proxy.register.records import RowFilter
from proxy.register.signing import load_signer
from proxy.register.stats import compute_stats, stats_json
from proxy.register.store import Register
from proxy.register.verify import VerifyReport, verify_register
from proxy.roles import Role
from proxy.settings import Settings
from proxy.web.guards import RoleGuard, ServicesDep

router = APIRouter()

Rssi = Annotated[Caller, Depends(RoleGuard(Role.RSSI))]
RssiOrDpo = Annotated[Caller, Depends(RoleGuard(Role.RSSI, Role.DPO))]

MAX_ENTRIES = 1000


class RegisterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: str | None = Field(default=None, max_length=40)
    until: str | None = Field(default=None, max_length=40)
    service: str | None = Field(default=None, max_length=120)
    user: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    decision: str | None = Field(default=None, max_length=20)

    def row_filter(self) -> RowFilter:
        return RowFilter(**self.model_dump(include=set(RegisterQuery.model_fields)))


class EntriesQuery(RegisterQuery):
    limit: int = Field(default=100, ge=1, le=MAX_ENTRIES)


class ExportQuery(RegisterQuery):
    fmt: ExportFormat = ExportFormat.CSV


@router.get("/register/entries")
def register_entries(
    services: ServicesDep, _caller: Rssi, query: Annotated[EntriesQuery, Query()]
) -> dict[str, Any]:
    """The latest `limit` rows matching the filters, in chain order."""
    with _reading(services.settings) as register:
        matched = 0
        latest: deque[dict[str, Any]] = deque(maxlen=query.limit)
        for row in register.rows(query.row_filter()):
            matched += 1
            latest.append(row)
    return {"entries": list(latest), "matched": matched, "truncated": matched > query.limit}


@router.get("/register/verify")
def register_verify(services: ServicesDep, _caller: Rssi) -> dict[str, Any]:
    with _reading(services.settings) as register:
        report = _verify(register, services.settings)
    return _report_view(report)


@router.get("/register/export")
def register_export(
    services: ServicesDep, _caller: Rssi, query: Annotated[ExportQuery, Query()]
) -> StreamingResponse:
    fmt = query.fmt
    spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the stream
    with _reading(services.settings) as register:
        write_export(register.rows(query.row_filter()), spool, fmt)
    spool.seek(0)
    media = "text/csv; charset=utf-8" if fmt is ExportFormat.CSV else "application/x-ndjson"
    name = f"registre-gardefou.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(_chunks(spool), media_type=media, headers=headers)


class StatsQuery(BaseModel):
    """Statistics filters: never by user (no figure per agent, for anyone)."""

    model_config = ConfigDict(extra="forbid")
    since: str | None = Field(default=None, max_length=40)
    until: str | None = Field(default=None, max_length=40)
    service: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=200)


@router.get("/stats")
def register_stats(
    services: ServicesDep, _caller: RssiOrDpo, filters: Annotated[StatsQuery, Query()]
) -> dict[str, Any]:
    """Uses, blocks, data removed, energy: per service and month, without user identities."""
    with _reading(services.settings) as register:
        return stats_json(compute_stats(register.rows(RowFilter(**filters.model_dump()))))


@contextmanager
def _reading(settings: Settings) -> Iterator[Register]:
    if not settings.register_path.exists():
        raise NotFound("Le registre n'existe pas encore (aucune requête enregistrée).")
    register = Register.open(settings.register_path, readonly=True)
    try:
        yield register
    finally:
        register.close()


def _verify(register: Register, settings: Settings) -> VerifyReport:
    key_path = configured.signing_key_path(settings)
    public = load_signer(key_path).public if key_path.exists() else None
    journal = configured.checkpoint_journal_path(settings)
    external = read_checkpoints(journal) if journal.exists() else []
    return verify_register(register, public_key=public, external=external)


def _report_view(report: VerifyReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "rows": report.rows,
        "first_seq": report.first_seq,
        "last_seq": report.last_seq,
        "checkpoints": report.checkpoints,
        "unsealed": report.unsealed,
        "signatures_checked": report.signatures_checked,
        "problem_count": report.problem_count,
        "problems": [{"seq": p.seq, "message": p.message} for p in report.problems],
    }


def _chunks(spool: Any) -> Iterator[str]:
    try:
        while chunk := spool.read(64 * 1024):
            yield chunk
    finally:
        spool.close()
