"""The checks of `verify` that rest on more than the chain: purges justified by the signed retention,
records present in the off-host stream, and the writers' tags on the rows not yet sealed.

- A purge is valid only within the retention in force when it was made (the newest signed retention
  record at its time): its cut-off at least that many months before it, and the checkpoint that
  ends the purged block older than the cut-off.
- Every checkpoint, purge and retention record of the file must be in the off-host stream (the store
  writes the stream first): a record forged on the host, even signed with the local key, is missing
  there. The stream's newest record may lack its database row (a crash between the two writes).
- A row not yet sealed must carry its writer's tag (needs the private key): a row added at the head
  by another hand, or a sealed row whose checkpoint was deleted, has none.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from proxy.register.head import ALARM_ENDPOINT
from proxy.register.records import Checkpoint, ExternalCheckpoints, PurgeRecord, RetentionRecord
from proxy.register.retention import cutoff as retention_cutoff

Report = Callable[[int | None, str], None]


def check_purges_retention(
    purges: Sequence[PurgeRecord],
    retention: Sequence[RetentionRecord],
    checkpoints: Sequence[Checkpoint],
    report: Report,
) -> None:
    for purge in purges:
        where = f"purge jusqu'à la ligne {purge.through_seq}"
        in_force = [r for r in retention if r.ts <= purge.ts]
        if not in_force:
            report(None, f"{where} : aucune durée de conservation signée en vigueur")
            continue
        months = in_force[-1].months
        if purge.retention_months != months or purge.cutoff > _cutoff(purge.ts, months):
            report(
                None,
                f"{where} : hors de la conservation signée ({months} mois, coupe au {purge.cutoff[:10]})",
            )
        block_end = (purge.through_seq, purge.through_hash)
        sealed = [cp.ts for cp in checkpoints if (cp.seq, cp.hash) == block_end]
        if sealed and min(sealed) >= purge.cutoff:
            report(None, f"{where} : lignes scellées après la date de coupure")


def _cutoff(ts: str, months: int) -> str:
    moment = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return retention_cutoff(moment, months)


def check_off_host(
    register_id: str,
    local: tuple[Sequence[Checkpoint], Sequence[PurgeRecord], Sequence[RetentionRecord]],
    external: Sequence[ExternalCheckpoints],
    tagged: Collection[int],
    report: Report,
) -> None:
    """Both ways between the file and the off-host stream (only when a stream copy is given);
    `tagged`: the rows whose writer's tags are still in the file (not sealed there yet)."""
    copies = [copy for copy in external if copy.register_id == register_id]
    if not copies:
        return
    remote_cps = [cp for copy in copies for cp in copy.checkpoints]
    remote_purges = [p for copy in copies for p in copy.purges]
    remote_retention = [r for copy in copies for r in copy.retention]
    checkpoints, purges, retention = local
    _missing_off_host(checkpoints, remote_cps, "point de contrôle", lambda cp: f"ligne {cp.seq}", report)
    _missing_off_host(purges, remote_purges, "purge", lambda p: f"jusqu'à la ligne {p.through_seq}", report)
    _missing_off_host(
        retention, remote_retention, "durée de conservation", lambda r: f"{r.months} mois", report
    )
    _missing_locally(checkpoints, remote_cps, tagged, report)
    for alarm in (a for copy in copies for a in copy.alarms):
        report(alarm.seq, f"alarme du flux hors machine (ligne {alarm.seq}) : tête du registre inattendue")


def _missing_off_host(
    records: Iterable[Checkpoint | PurgeRecord | RetentionRecord],
    remote: Sequence[Checkpoint | PurgeRecord | RetentionRecord],
    what: str,
    name: Callable[..., str],
    report: Report,
) -> None:
    present = {record.signature for record in remote}
    first = min((record.ts for record in remote), default=None)
    for record in records:
        older = first is not None and record.ts < first and isinstance(record, Checkpoint)
        if record.signature not in present and not older:  # older: before the stream was kept
            report(None, f"{what} {name(record)} absent(e) du flux hors machine (forgé sur la machine ?)")


def _missing_locally(
    checkpoints: Sequence[Checkpoint], remote: Sequence[Checkpoint], tagged: Collection[int], report: Report
) -> None:
    """Off-host checkpoints the file lacks. Only the newest may: a crash between the two writes, in
    which case the rows it seals still carry their tags (a seal removes them in the same commit)."""
    present = {cp.signature for cp in checkpoints}
    last_local = max((cp.seq for cp in checkpoints), default=0)
    newest = max(remote, key=lambda cp: (cp.seq, cp.ts), default=None)
    for cp in remote:
        if cp.signature in present:
            continue
        crashed = cp is newest and all(seq in tagged for seq in range(last_local + 1, cp.seq + 1))
        if not crashed:
            report(None, f"point de contrôle de la ligne {cp.seq} absent du registre")


def check_alarm_rows(rows: Iterable[Mapping[str, object]], report: Report) -> int:
    count = 0
    for row in rows:
        if row.get("endpoint") == ALARM_ENDPOINT:
            count += 1
            message = (
                f"ligne {row['seq']} : alarme, la tête du registre n'était pas celle écrite par Garde-fou"
            )
            report(int(str(row["seq"])), message)
    return count


def check_tags(
    unsealed: Iterable[Mapping[str, object]],
    macs: Mapping[int, str],
    mac: Callable[[str], str],
    macs_from: int,
    report: Report,
) -> None:
    for row in unsealed:
        seq = int(str(row["seq"]))
        if seq >= macs_from and macs.get(seq) != mac(str(row["hash"])):
            report(
                seq,
                f"ligne {seq} : non scellée et sans l'étiquette de son écrivain (écrite hors de Garde-fou)",
            )
