"""`gardefou register init-db|migrate`: the register on PostgreSQL, created by its owner, and a SQLite
register moved onto it (verified after the move)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from proxy.cli.common import config_option, settings_or_exit
from proxy.cli.register_args import guarded
from proxy.register.configured import checkpoint_journal_path, signing_key_path
from proxy.register.engine import RegisterError, is_url, without_password
from proxy.register.journal import read_checkpoints
from proxy.register.migrate import Migration, migrate
from proxy.register.pg_engine import PgEngine
from proxy.register.signing import KeyFileError, PublicKey, load_signer, parse_public_key
from proxy.register.verify import Tags


def add_init_db(actions: Any) -> None:
    parser = actions.add_parser(
        "init-db", help="créer le schéma du registre sur PostgreSQL (rôle propriétaire) et ses droits"
    )
    parser.add_argument("--url", required=True, type=_url, help="postgresql://PROPRIÉTAIRE@hôte:port/base")
    parser.add_argument("--app-role", help="rôle applicatif des instances (SELECT et INSERT seulement)")
    parser.set_defaults(func=guarded(init_db))


def init_db(args: argparse.Namespace) -> int:
    PgEngine.init_db(args.url, args.app_role).close()
    print(
        f"Schéma du registre prêt sur {without_password(args.url)} (tables, déclencheurs, fonction de purge)."
    )
    if args.app_role:
        print(
            f"Rôle {args.app_role} : lecture et ajout seulement ; suppression par la fonction "
            "gardefou_purge, jusqu'à une trace de purge signée."
        )
    return 0


def add_migrate(actions: Any) -> None:
    parser = actions.add_parser(
        "migrate",
        parents=[config_option()],
        help="copier un registre SQLite vers PostgreSQL, puis le vérifier",
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, help="registre SQLite à copier")
    parser.add_argument("--to", dest="target", type=_url, help="postgresql://... (défaut : register_url)")
    parser.add_argument("--key", type=Path, help="clé privée de signature (défaut : register_key)")
    parser.add_argument("--pubkey", help="clé publique de confiance (ed25519:... ou fichier)")
    parser.add_argument("--checkpoints", type=Path, help="flux hors machine du registre (JSONL)")
    parser.set_defaults(func=guarded(migrate_command))


def migrate_command(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config)
    target = args.target or settings.register_url
    if target is None:
        raise RegisterError(
            "Base cible absente : --to postgresql://... ou register_url dans la configuration."
        )
    if not args.source.is_file():
        raise RegisterError(f"Registre introuvable : {args.source}")
    key = args.key or signing_key_path(settings, args.source)
    beside = args.source.with_name("register-checkpoints.jsonl")  # the source's own stream, as with --db
    journal = args.checkpoints or (checkpoint_journal_path(settings) if args.config else beside)
    external = read_checkpoints(journal) if journal.is_file() else []
    print(f"Copie de {args.source} vers {without_password(target)}...")
    done = migrate(
        args.source, target, public_key=_public(args.pubkey, key), external=external, tags=_tags(key)
    )
    _print(done)
    return 0 if done.report.ok else 1


def _print(done: Migration) -> None:
    copied, report = done.copied, done.report
    print(
        f"Copiés en {copied.seconds:.1f} s : {copied.rows} ligne(s), {copied.checkpoints} point(s) de "
        f"contrôle, {copied.purges} purge(s), {copied.retention} durée(s) de conservation, "
        f"{copied.tags} étiquette(s) de lignes non scellées."
    )
    signed = "signatures vérifiées" if report.signatures_checked else "signatures NON vérifiées (aucune clé)"
    print(f"Vérification sur PostgreSQL en {done.verify_seconds:.1f} s : {report.rows} ligne(s), {signed}.")
    if report.ok:
        print(f"Registre migré : {report.verdict}.")
        return
    print(f"REGISTRE MIGRÉ ALTÉRÉ : {report.problem_count} anomalie(s).")
    for problem in report.problems:
        print(f"  - {problem.message}")


def _public(option: str | None, key: Path) -> PublicKey | None:
    if option is not None:
        candidate = Path(option)
        return parse_public_key(candidate.read_text(encoding="utf-8") if candidate.is_file() else option)
    return load_signer(key).public if key.is_file() else None


def _tags(key: Path) -> Tags:
    try:
        return Tags(load_signer(key).mac) if key.is_file() else Tags()
    except (KeyFileError, OSError):
        return Tags()


def _url(text: str) -> str:
    if not is_url(text):
        raise argparse.ArgumentTypeError(f"URL PostgreSQL attendue (postgresql://...), reçu : {text!r}")
    return text
