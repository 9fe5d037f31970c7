"""Checking a register: the hash chain row by row, the signed checkpoints and the purge records.

Detects edited, deleted, inserted, reordered and truncated rows; a chain recomputed from an edited
row does not match the signed checkpoints (or their copy kept outside the host). Without a trusted
public key the signatures cannot be checked, and the report says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from proxy.register import evidence
from proxy.register.chain import GENESIS, row_hash
from proxy.register.head import ALARM_ENDPOINT
from proxy.register.records import (
    Checkpoint,
    ExternalCheckpoints,
    Head,
    PurgeRecord,
    RetentionRecord,
    signed_message,
)
from proxy.register.signing import PublicKey

MAX_PROBLEMS = 50
ALTERED, NOT_YET_SEALED, INTACT = "altéré", "pas encore scellé", "intègre"


class RegisterSource(Protocol):
    register_id: str

    def rows(self) -> Iterator[dict[str, Any]]: ...
    def checkpoints(self) -> list[Checkpoint]: ...
    def purges(self) -> list[PurgeRecord]: ...
    def retention_records(self) -> list[RetentionRecord]: ...
    def row_macs(self) -> dict[int, str]: ...
    def macs_from(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Tags:
    """What checking the writers' tags needs: the private key's tag function (None: not checked)."""

    mac: Callable[[str], str] | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int | None  # the first row concerned, None when it is about a checkpoint or the file
    message: str  # French, for the RSSI


@dataclass(frozen=True, slots=True)
class VerifyReport:
    rows: int
    first_seq: int | None
    last_seq: int | None
    checkpoints: int
    purges: int
    unsealed: int  # rows after the last signed checkpoint
    signatures_checked: bool
    problems: tuple[Problem, ...]
    problem_count: int
    alarms: int = 0  # alarm rows (heads the writer did not write)
    tags_checked: bool = False  # writers' tags of the unsealed rows checked (private key at hand)
    off_host_records: int = 0  # records read from the off-host stream copy

    @property
    def ok(self) -> bool:
        """No alteration found (rows not yet sealed are not an alteration)."""
        return self.problem_count == 0

    @property
    def verdict(self) -> str:
        """'altéré', 'pas encore scellé' or 'intègre' (French, for the RSSI)."""
        if not self.ok:
            return ALTERED
        return NOT_YET_SEALED if self.unsealed else INTACT

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [p.seq for p in self.problems if p.seq is not None]
        return min(seqs) if seqs else None


@dataclass(slots=True)
class _Findings:
    """Problems found; the first ones about rows and the first general ones are kept apart, so
    that many bad signatures never hide the first bad row."""

    rows: list[Problem] = field(default_factory=list)
    general: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, seq: int | None, message: str) -> None:
        self.count += 1
        kept = self.general if seq is None else self.rows
        if len(kept) < MAX_PROBLEMS:
            kept.append(Problem(seq, message))

    @property
    def problems(self) -> list[Problem]:
        return self.rows + self.general


def verify_register(
    source: RegisterSource,
    *,
    public_key: PublicKey | None,
    external: Sequence[ExternalCheckpoints] | Callable[[], Sequence[ExternalCheckpoints]] = (),
    require_sealed: bool = False,
    tags: Tags = Tags(),
) -> VerifyReport:
    """Check everything. Rows after the last checkpoint are counted as not yet sealed, never as an
    alteration (`require_sealed` is kept for callers; the verdict tells them apart).

    A live register: pass `external` as a function; the off-host copy is then read after the file's
    records, and its records newer than that moment (in flight) are left out."""
    del require_sealed
    findings = _Findings()
    as_of = (datetime.now(UTC) - IN_FLIGHT).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    checkpoints = source.checkpoints()
    purges = source.purges()
    retention = source.retention_records()
    if callable(external):
        known = {cp.signature for cp in checkpoints} | {p.signature for p in purges}
        known |= {r.signature for r in retention}
        external = [_until(copy, as_of, known) for copy in external()]
    signer = _SignatureCheck(public_key, source.register_id, findings)
    signer.checkpoints(checkpoints, "du registre")
    anchor = _check_purges(purges, checkpoints, signer, findings)
    _check_retention(purges, retention, checkpoints, external, signer, findings)
    expected = _expected_hashes(checkpoints, external, source.register_id, signer, findings)
    last_sealed = max((cp.seq for cp in checkpoints), default=anchor.seq)
    walk = _walk_chain(source.rows(), anchor, expected, findings, last_sealed)
    _check_beyond_head(expected, walk, anchor, findings)
    local = (checkpoints, purges, retention)
    evidence.check_off_host(source.register_id, local, external, source.row_macs().keys(), findings.add)
    alarms = evidence.check_alarm_rows(walk.alarm_rows, findings.add)
    macs_from = source.macs_from()  # None: no row was ever written with a key (nothing tagged)
    if tags.mac is not None and macs_from is not None:
        evidence.check_tags(walk.tail, source.row_macs(), tags.mac, macs_from, findings.add)
    unsealed = _unsealed(checkpoints, walk)
    return VerifyReport(
        rows=walk.rows,
        first_seq=walk.first_seq,
        last_seq=walk.last_seq,
        checkpoints=len(checkpoints),
        purges=len(purges),
        unsealed=unsealed,
        signatures_checked=public_key is not None,
        problems=tuple(sorted(findings.problems, key=_problem_order)),
        problem_count=findings.count,
        alarms=alarms,
        tags_checked=tags.mac is not None and source.macs_from() is not None,
        off_host_records=sum(_records(copy) for copy in external),
    )


IN_FLIGHT = timedelta(seconds=1)  # an off-host record may be written just before its commit


def _until(copy: ExternalCheckpoints, as_of: str, known: set[str]) -> ExternalCheckpoints:
    """The copy without the records written after the file was read (not in the file yet)."""
    return ExternalCheckpoints(
        copy.register_id,
        tuple(r for r in copy.checkpoints if r.ts <= as_of or r.signature in known),
        tuple(r for r in copy.purges if r.ts <= as_of or r.signature in known),
        tuple(r for r in copy.retention if r.ts <= as_of or r.signature in known),
        tuple(r for r in copy.alarms if r.ts <= as_of),
    )


def _records(copy: ExternalCheckpoints) -> int:
    return len(copy.checkpoints) + len(copy.purges) + len(copy.retention) + len(copy.alarms)


def _check_retention(
    purges: Sequence[PurgeRecord],
    retention: Sequence[RetentionRecord],
    checkpoints: Sequence[Checkpoint],
    external: Sequence[ExternalCheckpoints],
    signer: _SignatureCheck,
    findings: _Findings,
) -> None:
    """Signed retention records, and each purge within the retention in force at its time."""
    for record in retention:
        signer.check(f"durée de conservation ({record.months} mois)", "retention", record)
    known = list(checkpoints) + [cp for copy in external for cp in copy.checkpoints]
    evidence.check_purges_retention(purges, retention, known, findings.add)


def _problem_order(problem: Problem) -> tuple[int, int]:
    return (0, problem.seq) if problem.seq is not None else (1, 0)


class _SignatureCheck:
    def __init__(self, key: PublicKey | None, register_id: str, findings: _Findings) -> None:
        self._key = key
        self._register_id = register_id
        self._findings = findings

    def check(self, what: str, kind: str, signed: Checkpoint | PurgeRecord | RetentionRecord) -> None:
        """Report `what` (French) when its signature is not the trusted key's."""
        if self._key is None:
            return
        if signed.key_id != self._key.key_id:
            self._findings.add(None, f"{what} : signé par une autre clé ({signed.key_id})")
            return
        message = signed_message(kind, self._register_id, signed.signed_fields())
        if not self._key.verify(signed.signature, message):
            self._findings.add(None, f"{what} : signature invalide")

    def checkpoints(self, checkpoints: Iterable[Checkpoint], where: str) -> None:
        for cp in checkpoints:
            self.check(f"point de contrôle {where} (ligne {cp.seq})", "checkpoint", cp)


def _check_purges(
    purges: Sequence[PurgeRecord],
    checkpoints: Sequence[Checkpoint],
    signer: _SignatureCheck,
    findings: _Findings,
) -> Head:
    sealed = {(cp.seq, cp.hash) for cp in checkpoints}
    previous = 0
    for purge in purges:
        signer.check(f"purge jusqu'à la ligne {purge.through_seq}", "purge", purge)
        if (purge.through_seq, purge.through_hash) not in sealed:
            findings.add(None, f"purge jusqu'à la ligne {purge.through_seq} sans point de contrôle")
        if purge.through_seq <= previous:
            findings.add(None, f"purges dans le désordre (ligne {purge.through_seq})")
        previous = purge.through_seq
    if not purges:
        return Head(0, GENESIS)
    return Head(purges[-1].through_seq, purges[-1].through_hash)


def _expected_hashes(
    checkpoints: Sequence[Checkpoint],
    external: Sequence[ExternalCheckpoints],
    register_id: str,
    signer: _SignatureCheck,
    findings: _Findings,
) -> dict[int, set[str]]:
    expected: dict[int, set[str]] = {}
    for cp in checkpoints:
        expected.setdefault(cp.seq, set()).add(cp.hash)
    for copy in external:
        if copy.register_id != register_id:
            findings.add(None, "le fichier de points de contrôle concerne un autre registre")
            continue
        signer.checkpoints(copy.checkpoints, "exporté")
        for cp in copy.checkpoints:
            expected.setdefault(cp.seq, set()).add(cp.hash)
    return expected


@dataclass(slots=True)
class _Walk:
    rows: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    alarm_rows: list[Mapping[str, Any]] = field(default_factory=list)
    tail: list[Mapping[str, Any]] = field(default_factory=list)  # rows after the last checkpoint


def _walk_chain(
    rows: Iterable[Mapping[str, Any]],
    anchor: Head,
    expected: Mapping[int, set[str]],
    findings: _Findings,
    last_sealed: int = 0,
) -> _Walk:
    walk = _Walk()
    seq, previous, block_start = anchor.seq + 1, anchor.hash, anchor.seq + 1
    block_problems = findings.count
    for row in rows:
        computed = _check_row(row, seq, previous, findings)
        current = row["seq"]
        sealed = expected.get(current)
        if sealed is not None and {computed} != sealed:
            # a block whose rows look valid but end on the wrong hash was recomputed: blame it all
            start = block_start if findings.count == block_problems else current
            findings.add(start, _sealed_mismatch(start, current))
        if sealed is not None:
            block_start, block_problems = current + 1, findings.count
        _keep(walk, row, last_sealed)
        walk.rows += 1
        walk.first_seq = current if walk.first_seq is None else walk.first_seq
        walk.last_seq = current
        seq, previous = current + 1, row["hash"]
    return walk


def _keep(walk: _Walk, row: Mapping[str, Any], last_sealed: int) -> None:
    if row["endpoint"] == ALARM_ENDPOINT:
        walk.alarm_rows.append(row)
    if row["seq"] > last_sealed:
        walk.tail.append(row)


def _sealed_mismatch(start: int, seq: int) -> str:
    rows = f"lignes {start} à {seq}" if start < seq else f"ligne {seq}"
    return f"{rows} : différent du point de contrôle signé de la ligne {seq} (chaîne recalculée ?)"


def _check_row(row: Mapping[str, Any], seq: int, previous: str, findings: _Findings) -> str:
    current = row["seq"]
    if current > seq:
        findings.add(seq, f"ligne(s) {seq} à {current - 1} manquante(s)")
    elif current != seq:
        findings.add(current, f"ligne {current} hors séquence (attendue : {seq})")
    if row["prev_hash"] != previous:
        findings.add(current, f"ligne {current} : chaînage rompu avec la ligne précédente")
    computed = row_hash(row)
    if computed != row["hash"]:
        findings.add(current, f"ligne {current} : contenu modifié (empreinte invalide)")
    return computed


def _check_beyond_head(
    expected: Mapping[int, set[str]], walk: _Walk, anchor: Head, findings: _Findings
) -> None:
    last = walk.last_seq if walk.last_seq is not None else anchor.seq
    beyond = [seq for seq in expected if seq > last]
    if beyond:
        findings.add(last + 1, f"registre tronqué : la ligne {max(beyond)} est scellée mais absente")


def _unsealed(checkpoints: Sequence[Checkpoint], walk: _Walk) -> int:
    if walk.last_seq is None:
        return 0
    last_sealed = max((cp.seq for cp in checkpoints), default=0)
    return max(0, walk.last_seq - last_sealed)
