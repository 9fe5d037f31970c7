"""`gardefou register verify|export|stats|purge|art30|backup|checkpoint|pubkey`: the RSSI's and DPO's tools
(and `init-db|migrate` for PostgreSQL, in register_pg.py).

Every command takes `--db PATH` (the register file, or a `postgresql://` URL) and/or `--config FILE`
(the proxy configuration, which names the register, its signing key and its checkpoint file).
Exit status: 0 success, 1 a problem found (verify), 2 unusable arguments or files.
"""

from __future__ import annotations

import argparse
import json
import logging.handlers
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from proxy.cli import register_pg
from proxy.cli.register_args import RegisterFiles, common, day, filters, guarded, register_files, row_filter
from proxy.config_file import ConfigFileError
from proxy.policy.loader import load_policy
from proxy.policy.schema import Policy
from proxy.register import retention
from proxy.register.art30 import Art30Context, render_art30
from proxy.register.configured import KEY_BESIDE_WARNING, key_beside_register
from proxy.register.export import ExportFormat, write_export
from proxy.register.journal import journal_lines, read_checkpoints
from proxy.register.odt import markdown_to_fodt
from proxy.register.records import ExternalCheckpoints
from proxy.register.signing import (
    KeyFileError,
    PublicKey,
    load_or_create_signer,
    load_signer,
    parse_public_key,
)
from proxy.register.stats import compute_stats, render_text, stats_json
from proxy.register.store import Register, RegisterError
from proxy.register.verify import Tags, VerifyReport, verify_register
from proxy.settings import Settings


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "register", help="registre des usages : vérifier, exporter, statistiques, purge..."
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for add in (_verify, _export, _stats, _purge, _art30, _backup, _checkpoint, _pubkey):
        add(actions)
    register_pg.add_init_db(actions)
    register_pg.add_migrate(actions)


# -- verify --------------------------------------------------------------------------------------


def _verify(actions: Any) -> None:
    parser = actions.add_parser(
        "verify", parents=common(), help="vérifier le chaînage et les points de contrôle signés"
    )
    parser.add_argument("--pubkey", help="clé publique de confiance (ed25519:... ou fichier)")
    parser.add_argument("--checkpoints", type=Path, help="copie des points de contrôle (JSONL)")
    parser.add_argument(
        "--strict", action="store_true", help="code 3 si des lignes ne sont pas encore scellées (sinon 0)"
    )
    parser.set_defaults(func=guarded(verify))


NOT_YET_SEALED_EXIT = 3


def verify(args: argparse.Namespace) -> int:
    paths = register_files(args)
    key = _trusted_key(args.pubkey, paths.key)
    register = Register.open(paths.db, readonly=True)
    external: list[ExternalCheckpoints] = []

    def read_external() -> list[ExternalCheckpoints]:  # after the file's records: a live register
        external.extend(_external_checkpoints(args.checkpoints, paths.journal))
        return external

    try:
        report = verify_register(register, public_key=key, external=read_external, tags=_tags(paths.key))
        _print_material(args, paths, report)
        _print_report(report, register, paths, external)
    finally:
        register.close()
    if not report.ok:
        return 1
    return NOT_YET_SEALED_EXIT if args.strict and report.unsealed else 0


def _tags(key_path: Path) -> Tags:
    """The writers' tags can be checked where the private key is readable (on the host)."""
    try:
        return Tags(load_signer(key_path).mac) if key_path.is_file() else Tags()
    except (KeyFileError, OSError):
        return Tags()


def _print_material(args: argparse.Namespace, paths: RegisterFiles, report: VerifyReport) -> None:
    """Say what the verdict rests on: off-host material, or only what sits on the host."""
    if args.pubkey is not None:
        print("Clé publique : fournie (--pubkey), gardée hors de la machine.")
    elif report.signatures_checked:
        print(f"Clé publique : tirée de la clé privée locale {paths.key} (pas une preuve hors machine).")
        if key_beside_register(paths.key, paths.settings, paths.file):
            print(KEY_BESIDE_WARNING.format(key=paths.key))
    source = args.checkpoints or (paths.journal if paths.journal and paths.journal.exists() else None)
    if source is None:
        print("Flux hors machine : aucune copie lue (--checkpoints).")
    else:
        print(f"Flux hors machine : {source} ({report.off_host_records} enregistrement(s)).")
    tags = "vérifiées" if report.tags_checked else "non vérifiées (clé privée illisible ici)"
    print(f"Étiquettes des lignes non scellées : {tags}.")


def _trusted_key(option: str | None, key_path: Path) -> PublicKey | None:
    if option is not None:
        candidate = Path(option)
        text = candidate.read_text(encoding="utf-8") if candidate.is_file() else option
        return parse_public_key(text)
    if key_path.exists():
        return load_or_create_signer(key_path).public
    return None


def _external_checkpoints(option: Path | None, default: Path | None) -> list[ExternalCheckpoints]:
    if option is not None:
        return read_checkpoints(option)
    return read_checkpoints(default) if default is not None and default.exists() else []


def _print_report(
    report: VerifyReport, register: Register, paths: RegisterFiles, external: list[ExternalCheckpoints]
) -> None:
    span = f"lignes {report.first_seq} à {report.last_seq}" if report.rows else "aucune ligne"
    print(f"Registre {paths.label} : {report.rows} ligne(s) ({span}), ", end="")
    print(f"{report.checkpoints} point(s) de contrôle, {report.purges} purge(s).")
    print(f"Copie externe des points de contrôle : {sum(len(e.checkpoints) for e in external)}.")
    if not report.signatures_checked:
        print("ATTENTION : aucune clé publique de confiance, signatures non vérifiées (--pubkey).")
    if report.unsealed:
        print(f"{report.unsealed} ligne(s) récente(s) pas encore scellée(s) par un point de contrôle.")
    if report.alarms:
        print(f"ALARME : {report.alarms} alarme(s) de tête inscrite(s) par Garde-fou.")
    for trigger in register.missing_triggers():
        print(f"ATTENTION : protection « {trigger} » absente du registre (supprimée ou désactivée ?).")
    integrity = register.integrity_check()
    if integrity != "ok":
        print(f"ATTENTION : contrôle d'intégrité SQLite : {integrity}")
    if report.ok and report.unsealed:
        print(
            f"Registre PAS ENCORE SCELLÉ : aucune altération trouvée ; {report.unsealed} ligne(s) à sceller."
        )
        return
    if report.ok:
        print("Registre intègre.")
        return
    print(f"REGISTRE ALTÉRÉ : {report.problem_count} anomalie(s).")
    if report.first_bad_seq is not None:
        print(f"Première ligne en cause : {report.first_bad_seq}")
    for problem in report.problems:
        print(f"  - {problem.message}")


# -- export and stats ----------------------------------------------------------------------------


def _export(actions: Any) -> None:
    parser = actions.add_parser("export", parents=common(), help="exporter en CSV ou JSONL")
    parser.add_argument("--format", choices=[f.value for f in ExportFormat], default="csv")
    parser.add_argument("--output", "-o", type=Path, help="fichier de sortie (défaut : écran)")
    filters(parser)
    parser.set_defaults(func=guarded(export))


def export(args: argparse.Namespace) -> int:
    fmt = ExportFormat(args.format)
    register = Register.open(register_files(args).db, readonly=True)
    try:
        rows = register.rows(row_filter(args))
        if args.output is None:
            count = write_export(rows, sys.stdout, fmt)
        else:
            count = _export_to_file(rows, args.output, fmt)
    finally:
        register.close()
    print(f"{count} ligne(s) exportée(s).", file=sys.stderr)
    return 0


def _export_to_file(rows: Any, path: Path, fmt: ExportFormat) -> int:
    encoding = "utf-8-sig" if fmt is ExportFormat.CSV else "utf-8"
    with path.open("w", encoding=encoding, newline="") as out:
        return write_export(rows, out, fmt)


def _stats(actions: Any) -> None:
    parser = actions.add_parser(
        "stats", parents=common(), help="usages, blocages, retraits, énergie par service et mois"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--from", dest="since", type=day, help="à partir du jour (AAAA-MM-JJ)")
    parser.add_argument("--to", dest="until", type=day, help="jusqu'au jour inclus (AAAA-MM-JJ)")
    parser.add_argument("--service", help="un seul service")
    parser.set_defaults(func=guarded(stats))


def stats(args: argparse.Namespace) -> int:
    register = Register.open(register_files(args).db, readonly=True)
    try:
        result = compute_stats(register.rows(row_filter(args)))
    finally:
        register.close()
    if args.format == "json":
        print(json.dumps(stats_json(result), ensure_ascii=False, indent=2))
    else:
        print(render_text(result))
    return 0


# -- purge, backup, checkpoint, pubkey -----------------------------------------------------------


def _purge(actions: Any) -> None:
    parser = actions.add_parser(
        "purge", parents=common(), help="supprimer les lignes plus anciennes que la conservation"
    )
    parser.add_argument("--months", type=int, help="conservation en mois, 6 à 36 (défaut : config)")
    parser.set_defaults(func=guarded(purge))


def purge(args: argparse.Namespace) -> int:
    paths = register_files(args)
    months = retention.check_months(args.months or paths.settings.register_retention_months)
    register = _open_for_writing(paths)
    try:
        record = register.purge(retention.cutoff(datetime.now(UTC), months), months)
    finally:
        register.close()
    if record is None:
        print(f"Rien à purger (conservation : {months} mois).")
    else:
        print(
            f"{record.rows_deleted} ligne(s) supprimée(s) jusqu'à la ligne {record.through_seq} "
            f"(antérieures au {record.cutoff[:10]}) ; trace de purge signée."
        )
    return 0


def _open_for_writing(paths: RegisterFiles) -> Register:
    if paths.journal is None:
        raise RegisterError(
            "Flux hors machine inconnu pour ce registre PostgreSQL : donnez --config (register_checkpoints), "
            "sans quoi les enregistrements signés n'y seraient pas recopiés."
        )
    return Register.open(
        paths.db,
        create=False,
        signing_key_path=paths.key,
        create_key=False,
        checkpoint_every=paths.settings.register_checkpoint_every,
        checkpoint_journal=paths.journal,
        syslog=paths.settings.register_syslog,
    )


def _backup(actions: Any) -> None:
    parser = actions.add_parser(
        "backup", parents=common(), help="copie cohérente (API de sauvegarde SQLite ; pg_dump sur PostgreSQL)"
    )
    parser.add_argument("destination", type=Path, help="fichier de sauvegarde à créer")
    parser.set_defaults(func=guarded(backup))


def backup(args: argparse.Namespace) -> int:
    register = Register.open(register_files(args).db, readonly=True)
    try:
        register.backup(args.destination)
    finally:
        register.close()
    print(f"Sauvegarde écrite : {args.destination}")
    return 0


def _checkpoint(actions: Any) -> None:
    parser = actions.add_parser(
        "checkpoint", parents=common(), help="sceller la tête du registre ; exporter les points"
    )
    parser.add_argument("--export", type=Path, help="écrire tous les points de contrôle (JSONL)")
    parser.add_argument("--syslog", action="store_true", help="envoyer le dernier point au syslog local")
    parser.set_defaults(func=guarded(checkpoint))


def checkpoint(args: argparse.Namespace) -> int:
    register = _open_for_writing(register_files(args))
    try:
        created = register.checkpoint()
        checkpoints = register.checkpoints()
        register_id = register.register_id
    finally:
        register.close()
    head = f"ligne {checkpoints[-1].seq}" if checkpoints else "registre vide"
    print(("Point de contrôle signé : " if created else "Déjà scellé : ") + head)
    if args.export is not None:
        args.export.write_text(journal_lines(register_id, checkpoints), encoding="utf-8")
        print(f"{len(checkpoints)} point(s) de contrôle écrit(s) dans {args.export}")
    if args.syslog and checkpoints:
        _to_syslog(checkpoints[-1].journal_line(register_id))
    return 0


def _to_syslog(line: str) -> None:
    handler = logging.handlers.SysLogHandler(address="/dev/log")
    logger = logging.Logger("gardefou-register")
    logger.addHandler(handler)
    logger.info("gardefou checkpoint %s", line)
    handler.close()
    print("Point de contrôle envoyé au syslog local.")


def _pubkey(actions: Any) -> None:
    parser = actions.add_parser("pubkey", parents=common(), help="afficher la clé publique de vérification")
    parser.set_defaults(func=guarded(pubkey))


def pubkey(args: argparse.Namespace) -> int:
    paths = register_files(args)
    existed = paths.key.exists()
    public = load_or_create_signer(paths.key).public
    if not existed:
        print(f"Clé de signature créée : {paths.key} (à sauvegarder).", file=sys.stderr)
    print(public.text)
    print(f"Empreinte : {public.key_id} — conservez cette clé publique hors de la machine.", file=sys.stderr)
    return 0


# -- art30 ---------------------------------------------------------------------------------------


def _art30(actions: Any) -> None:
    parser = actions.add_parser(
        "art30", parents=common(), help="projet de fiches du registre des traitements (RGPD art. 30)"
    )
    parser.add_argument("--output", "-o", type=Path, help="fichier à écrire (défaut : écran)")
    parser.add_argument(
        "--format",
        choices=("md", "fodt"),
        help="md (Markdown) ou fodt (OpenDocument, ouvert par LibreOffice) ; défaut : selon -o, sinon md",
    )
    parser.set_defaults(func=guarded(art30))


def art30(args: argparse.Namespace) -> int:
    paths = register_files(args)
    policy, digest = _policy_or_none(paths.settings)
    public = load_or_create_signer(paths.key).public.text if paths.key.exists() else None
    text = render_art30(Art30Context(paths.settings, policy, digest, public, date.today()))
    as_odt = args.format == "fodt" or (args.format is None and args.output and args.output.suffix == ".fodt")
    _write_text(markdown_to_fodt(text) if as_odt else text, args.output, sys.stdout)
    return 0


def _policy_or_none(settings: Settings) -> tuple[Policy | None, str | None]:
    try:
        loaded = load_policy(settings.policy)
    except ConfigFileError as error:
        print(f"Attention : politique illisible ({error}).", file=sys.stderr)
        return None, None
    return loaded.policy, loaded.sha256


def _write_text(text: str, output: Path | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Écrit : {output}", file=sys.stderr)
