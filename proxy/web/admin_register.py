"""The RSSI's routes: read, verify and export the register; statistics (also for the DPO).

The work is done by the register's own functions (proxy/register/*). These are plain `def` routes:
they run in the thread pool, each on a read-only connection of its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from proxy.auth import Caller
from proxy.errors import NotFound
from proxy.register import configured
from proxy.register.export import ExportFormat, decision_label, type_name, write_export
from proxy.register.journal import read_checkpoints
from proxy.register.records import Checkpoint, RowFilter
from proxy.register.signing import load_signer
from proxy.register.stats import NO_TASK, compute_stats, stats_json
from proxy.register.store import TS_FORMAT, Register
from proxy.register.verify import VerifyReport, verify_register
from proxy.roles import Role
from proxy.settings import Settings
from proxy.web.admin_view import (
    PARIS,
    age_text,
    endpoint_label,
    hosting_label,
    local_time,
    month_bounds,
    row_view,
    task_label,
    utc_bound,
)
from proxy.web.guards import RoleGuard, ServicesDep

router = APIRouter()

Rssi = Annotated[Caller, Depends(RoleGuard(Role.RSSI))]
RssiOrDpo = Annotated[Caller, Depends(RoleGuard(Role.RSSI, Role.DPO))]

MAX_PAGE = 200
MAX_LIMIT = 1000
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class RegisterQuery(BaseModel):
    """Register filters. A period is a month (`month`, Paris time), or days (`start`, `end`
    inclusive, Paris time), or raw UTC bounds (`since`, `until`, as in the CLI)."""

    model_config = ConfigDict(extra="forbid")
    since: str | None = Field(default=None, max_length=40)
    until: str | None = Field(default=None, max_length=40)
    month: str | None = Field(default=None, pattern=MONTH)
    start: date | None = None
    end: date | None = None
    service: str | None = Field(default=None, max_length=120)
    user: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=200)
    decision: str | None = Field(default=None, max_length=20)
    endpoint: str | None = Field(default=None, max_length=60)
    task: str | None = Field(default=None, max_length=60)
    rule: str | None = Field(default=None, max_length=200)

    def row_filter(self) -> RowFilter:
        since, until = self.since, self.until
        if self.month:
            since, until = month_bounds(self.month)
        if self.start:
            since = utc_bound(self.start)
        if self.end:
            until = utc_bound(self.end + timedelta(days=1))
        kept = self.model_dump(include={"service", "user", "model", "decision", "endpoint", "task", "rule"})
        return RowFilter(since=since, until=until, **{k: v or None for k, v in kept.items()})


class EntriesQuery(RegisterQuery):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PAGE)
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)  # earlier form: the latest `limit` rows

    @property
    def size(self) -> int:
        return self.limit or self.per_page


class ExportQuery(RegisterQuery):
    fmt: ExportFormat = ExportFormat.CSV


@router.get("/register/entries")
def register_entries(
    services: ServicesDep, _caller: Rssi, query: Annotated[EntriesQuery, Query()]
) -> dict[str, Any]:
    """One page of the rows matching the filters, with French labels: page 1 holds the latest rows;
    within a page, rows are in chain order (the latest last)."""
    where, size = query.row_filter(), query.size
    with _reading(services.settings) as register:
        matched = register.count_where(where)
        rows = register.page(where, offset=(query.page - 1) * size, limit=size)
    return {
        "entries": [row_view(row) for row in reversed(rows)],
        "matched": matched,
        "truncated": matched > query.page * size,
        "page": query.page,
        "pages": max(1, -(-matched // size)),
        "per_page": size,
    }


@router.get("/register/entries/{seq}")
def register_entry(seq: int, services: ServicesDep, _caller: Rssi) -> dict[str, Any]:
    with _reading(services.settings) as register:
        row = register.row(seq)
    if row is None:
        raise NotFound(f"Aucune ligne n° {seq} dans le registre (purgée ou inexistante).")
    return row_view(row)


@router.get("/register/choices")
def register_choices(services: ServicesDep, _caller: Rssi) -> dict[str, Any]:
    """The values met in the register, to offer as filter choices (French labels beside ids)."""
    with _reading(services.settings) as register:
        found = register.distinct_values()
        months = sorted(_months(register), reverse=True)
    return {
        "services": found["service"],
        "models": sorted({*found["model"], *found["routed_model"]}),
        "decisions": [{"id": d, "label": decision_label(d)} for d in found["decision"]],
        "endpoints": [{"id": e, "label": endpoint_label(e)} for e in found["endpoint"]],
        "tasks": [{"id": t, "label": task_label(t)} for t in found["task"]],
        "rules": found["rules"],
        "months": months,
    }


def _months(register: Register) -> list[str]:
    first, last = register.first_and_last_ts()
    if first is None or last is None:
        return []
    months, cursor = [], _month_of(first)
    while cursor <= _month_of(last):
        months.append(cursor)
        year, month = int(cursor[:4]), int(cursor[5:])
        cursor = f"{year + month // 12}-{month % 12 + 1:02d}"
    return months


def _month_of(ts: str) -> str:
    return datetime.strptime(ts, TS_FORMAT).replace(tzinfo=UTC).astimezone(PARIS).strftime("%Y-%m")


@router.get("/register/verify")
def register_verify(services: ServicesDep, _caller: Rssi) -> dict[str, Any]:
    with _reading(services.settings) as register:
        report = _verify(register, services.settings)
        last = register.last_checkpoint()
    return _report_view(report, last)


@router.get("/register/export")
def register_export(
    services: ServicesDep, _caller: Rssi, query: Annotated[ExportQuery, Query()]
) -> StreamingResponse:
    """Exactly the rows matching the filters: CSV for French spreadsheets (UTF-8 with BOM, `;`),
    or JSON lines."""
    fmt = query.fmt
    spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")  # noqa: SIM115 - closed by the stream
    if fmt is ExportFormat.CSV:
        spool.write("\ufeff")
    with _reading(services.settings) as register:
        write_export(register.rows(query.row_filter()), spool, fmt, french=True)
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
    start: date | None = None
    end: date | None = None
    service: str | None = Field(default=None, max_length=120)
    model: str | None = Field(default=None, max_length=200)

    def row_filter(self) -> RowFilter:
        since = utc_bound(self.start) if self.start else self.since
        until = utc_bound(self.end + timedelta(days=1)) if self.end else self.until
        return RowFilter(since=since, until=until, service=self.service or None, model=self.model or None)


@router.get("/stats")
def register_stats(
    services: ServicesDep, _caller: RssiOrDpo, filters: Annotated[StatsQuery, Query()]
) -> dict[str, Any]:
    """Uses, refusals, data removed, models and hosting, energy: per service and month, without
    user identities; data types and hosting in French."""
    hosting = {u.name: hosting_label(u.hosting) for u in services.settings.upstreams}
    with _reading(services.settings) as register:
        stats = compute_stats(register.rows(filters.row_filter()), label=type_name)
        result = stats_json(stats, hosting)
        result["services"] = register.distinct_values()["service"]
    result["taches_libelles"] = {
        task: task_label(None if task == NO_TASK else task) for task in stats.total.tasks
    }
    return result


@contextmanager
def _reading(settings: Settings) -> Iterator[Register]:
    if not configured.register_exists(settings):
        raise NotFound("Le registre n'existe pas encore (aucune requête enregistrée).")
    register = Register.open(settings.register_target, readonly=True)
    try:
        yield register
    finally:
        register.close()


def _verify(register: Register, settings: Settings) -> VerifyReport:
    key_path = configured.signing_key_path(settings)
    public = load_signer(key_path).public if key_path.exists() else None
    journal = configured.checkpoint_journal_path(settings)
    external = lambda: read_checkpoints(journal) if journal.exists() else []  # noqa: E731 - read after the file
    return verify_register(register, public_key=public, external=external)


def _report_view(report: VerifyReport, last: Checkpoint | None) -> dict[str, Any]:
    """The report, and the integrity status in French: never "intègre" while rows are unsealed."""
    age_s = None
    if last is not None:
        sealed_at = datetime.strptime(last.ts, TS_FORMAT).replace(tzinfo=UTC)
        age_s = max(0.0, (datetime.now(UTC) - sealed_at).total_seconds())
    return {
        "status": _status(report, age_s),
        "sealed": report.rows - report.unsealed,
        "last_checkpoint": local_time(last.ts) if last else None,
        "last_checkpoint_age_s": age_s,
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


def _status(report: VerifyReport, age_s: float | None) -> str:
    if not report.ok:
        return f"Registre altéré : {report.problem_count} problème(s) détecté(s)."
    when = f"dernier point de contrôle {age_text(age_s)}" if age_s is not None else "aucun point de contrôle"
    if report.unsealed:
        return (
            f"Chaîne cohérente, mais {report.unsealed} ligne(s) récente(s) pas encore scellée(s) "
            f"par un point de contrôle signé ({report.rows - report.unsealed} scellée(s) ; {when})."
        )
    return f"Registre intègre : {report.rows} ligne(s), toutes scellées ({when})."


def _chunks(spool: Any) -> Iterator[str]:
    try:
        while chunk := spool.read(64 * 1024):
            yield chunk
    finally:
        spool.close()
