"""Retention of the register: how long rows are kept (default 12 months, bounded 6 to 36).

The CNIL recommends keeping such logs 6 to 12 months; the AI Act asks deployers to keep them at least
6 months. Purging removes whole checkpointed blocks and leaves a signed purge record (store.purge).
"""

from __future__ import annotations

import calendar
import logging
import sqlite3
from datetime import UTC, datetime

import anyio
import anyio.to_thread

from proxy.register.records import PurgeRecord
from proxy.register.store import Register, RegisterError

log = logging.getLogger(__name__)

DEFAULT_MONTHS = 12
MIN_MONTHS, MAX_MONTHS = 6, 36
DAY_S = 24 * 3600


def check_months(months: int) -> int:
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise ValueError(
            f"durée de conservation invalide : {months} mois (entre {MIN_MONTHS} et {MAX_MONTHS})"
        )
    return months


def cutoff(now: datetime, months: int) -> str:
    """UTC timestamp `months` calendar months before `now`, in the register's format."""
    check_months(months)
    now = now.astimezone(UTC)
    total = now.year * 12 + (now.month - 1) - months
    year, month = divmod(total, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    moment = now.replace(year=year, month=month + 1, day=day)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def purge_expired(register: Register, months: int, now: datetime | None = None) -> PurgeRecord | None:
    """Purge what is older than the retention (needs the register's signing key)."""
    return register.purge(cutoff(now or datetime.now(UTC), months), months)


async def purge_daily(register: Register, months: int) -> None:
    """Run forever (cancel to stop): purge at start-up, then every 24 hours, off the event loop.

    For the server's lifespan task group; with several workers each one runs it, harmlessly
    (purges are serialised and the second finds nothing left to remove)."""
    check_months(months)
    while True:
        try:
            await anyio.to_thread.run_sync(purge_expired, register, months)
        except (RegisterError, sqlite3.Error) as exc:  # (PostgreSQL errors arrive as RegisterError)
            log.warning("register: daily purge failed (%s)", type(exc).__name__)
        await anyio.sleep(DAY_S)
