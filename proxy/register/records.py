"""Named records of the register besides its rows: head, checkpoints, purge records, filters."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from proxy.register.chain import canonical_json


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: 'row `seq` of this register had hash `hash` at time `ts`'."""

    ts: str
    seq: int
    hash: str
    key_id: str
    signature: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Checkpoint:
        return cls(
            ts=str(row["ts"]),
            seq=int(row["seq"]),
            hash=str(row["hash"]),
            key_id=str(row["key_id"]),
            signature=str(row["signature"]),
        )

    def signed_fields(self) -> dict[str, Any]:
        return {"ts": self.ts, "seq": self.seq, "hash": self.hash, "key_id": self.key_id}

    def signed(self, signature: str) -> Checkpoint:
        return dataclasses.replace(self, signature=signature)

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def journal_line(self, register_id: str) -> str:
        """One JSON line for the checkpoint file kept outside the host (export, syslog)."""
        return journal_line("checkpoint", register_id, self)


@dataclass(frozen=True, slots=True)
class PurgeRecord:
    """A signed statement: 'rows up to `through_seq` (hash `through_hash`) were purged'."""

    ts: str
    through_seq: int
    through_hash: str
    cutoff: str
    retention_months: int
    rows_deleted: int
    key_id: str
    signature: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> PurgeRecord:
        return cls(
            ts=str(row["ts"]),
            through_seq=int(row["through_seq"]),
            through_hash=str(row["through_hash"]),
            cutoff=str(row["cutoff"]),
            retention_months=int(row["retention_months"]),
            rows_deleted=int(row["rows_deleted"]),
            key_id=str(row["key_id"]),
            signature=str(row["signature"]),
        )

    def signed_fields(self) -> dict[str, Any]:
        fields = dataclasses.asdict(self)
        del fields["signature"]
        return fields

    def signed(self, signature: str) -> PurgeRecord:
        return dataclasses.replace(self, signature=signature)

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class RetentionRecord:
    """A signed statement: 'from `ts`, rows of this register are kept `months` months'. A purge is
    valid only within the retention in force when it was made."""

    ts: str
    months: int
    key_id: str
    signature: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RetentionRecord:
        return cls(str(row["ts"]), int(row["months"]), str(row["key_id"]), str(row["signature"]))

    def signed_fields(self) -> dict[str, Any]:
        return {"ts": self.ts, "months": self.months, "key_id": self.key_id}

    def signed(self, signature: str) -> RetentionRecord:
        return dataclasses.replace(self, signature=signature)

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Alarm:
    """The writer found a head it did not write (rows inserted, edited or deleted by another hand)."""

    ts: str
    seq: int  # the alarm row's own place in the chain
    expected_seq: int
    expected_hash: str
    found_seq: int
    found_hash: str

    def to_row(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Alarm:
        return cls(
            str(row["ts"]),
            int(row["seq"]),
            int(row["expected_seq"]),
            str(row["expected_hash"]),
            int(row["found_seq"]),
            str(row["found_hash"]),
        )


def journal_line(
    kind: str, register_id: str, record: Checkpoint | PurgeRecord | RetentionRecord | Alarm
) -> str:
    """One JSON line of the off-host stream (file, syslog): `kind`, register id, the record's fields."""
    return canonical_json({"kind": kind, "register": register_id, **record.to_row()})


def signed_message(kind: str, register_id: str, fields: Mapping[str, Any]) -> bytes:
    """The exact bytes signed for a checkpoint or purge record (bound to one register)."""
    return canonical_json({"kind": kind, "register": register_id, **fields}).encode("utf-8")


@dataclass(frozen=True, slots=True)
class ExternalCheckpoints:
    """What the off-host stream holds about one register: checkpoints, purges, retention, alarms."""

    register_id: str
    checkpoints: tuple[Checkpoint, ...]
    purges: tuple[PurgeRecord, ...] = ()
    retention: tuple[RetentionRecord, ...] = ()
    alarms: tuple[Alarm, ...] = ()


TASK_NONE = "-"  # RowFilter.task value for the agent's own uses (no background task)


@dataclass(frozen=True, slots=True)
class RowFilter:
    """Export, browsing and statistics filters; `since` inclusive and `until` exclusive, as UTC
    timestamps; `rule` matches applied and observe-mode rules; `task` TASK_NONE: no task."""

    since: str | None = None
    until: str | None = None
    service: str | None = None
    user: str | None = None
    model: str | None = None
    decision: str | None = None
    endpoint: str | None = None
    task: str | None = None
    rule: str | None = None

    def sql(self, has_rule: str) -> tuple[str, list[Any]]:
        """The WHERE clause and its parameters; `has_rule`: the engine's test of the rule lists."""
        conditions: list[str] = []
        params: list[Any] = []
        for condition, value in self._conditions(has_rule):
            if value is not None:
                conditions.append(condition)
                params.extend([value] * condition.count("?"))
        return ("WHERE " + " AND ".join(conditions) if conditions else ""), params

    def _conditions(self, has_rule: str) -> list[tuple[str, str | None]]:
        return [
            ("ts >= ?", self.since),
            ("ts < ?", self.until),
            ("service = ?", self.service),
            ('"user" = ?', self.user),
            ("(model = ? OR routed_model = ?)", self.model),
            ("decision = ?", self.decision),
            ("endpoint = ?", self.endpoint),
            ("task IS NULL" if self.task == TASK_NONE else "task = ?", self.task),
            (has_rule, self.rule),
        ]
