"""Arguments and context shared by the `gardefou register` actions: files, filters, errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from proxy.cli.common import config_option, settings_or_exit
from proxy.config_file import ConfigFileError
from proxy.register.configured import LEGACY_KEY_NAME, checkpoint_journal_path, signing_key_path
from proxy.register.engine import is_url, without_password
from proxy.register.entry import Decision
from proxy.register.journal import JournalError
from proxy.register.records import RowFilter
from proxy.register.signing import KeyFileError
from proxy.register.store import RegisterError
from proxy.settings import Settings

Handler = Callable[[argparse.Namespace], int]


def common() -> list[argparse.ArgumentParser]:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--db",
        type=location,
        help="fichier du registre, ou URL postgresql://... (défaut : celui de la configuration)",
    )
    parent.add_argument(
        "--key",
        type=Path,
        help="clé privée de signature (défaut : register_key, sinon register-signing.key à côté)",
    )
    return [config_option(), parent]


def filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="since", type=day, help="à partir du jour (AAAA-MM-JJ, inclus)")
    parser.add_argument("--to", dest="until", type=day, help="jusqu'au jour (AAAA-MM-JJ, inclus)")
    parser.add_argument("--service", help="un seul service")
    parser.add_argument("--user", help="un seul agent (identifiant de compte)")
    parser.add_argument("--model", help="un seul modèle (demandé ou utilisé)")
    parser.add_argument("--decision", type=decision_arg, help="transmise|bloquée|échouée")


# -- context -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterFiles:
    settings: Settings
    db: Path | str  # the SQLite file, or the PostgreSQL URL
    key: Path
    journal: Path | None  # the off-host stream (None: a URL named alone, no configuration)

    @property
    def file(self) -> Path | None:
        """The SQLite file (None on PostgreSQL)."""
        return self.db if isinstance(self.db, Path) else None

    @property
    def label(self) -> str:
        """The register for people: the file, or the URL without its password."""
        return str(self.db) if isinstance(self.db, Path) else without_password(self.db)


def location(text: str) -> Path | str:
    """`--db`: a `postgresql://` URL, else a file."""
    return text if is_url(text) else Path(text)


def register_files(args: argparse.Namespace) -> RegisterFiles:
    settings = settings_or_exit(args.config)
    db: Path | str = args.db or settings.register_target
    if not isinstance(db, Path):  # PostgreSQL: the configured key and stream (none sits beside a URL)
        configured = args.config is not None or args.db is None
        journal = checkpoint_journal_path(settings) if configured else settings.register_checkpoints
        return RegisterFiles(settings, db, args.key or signing_key_path(settings), journal)
    # A register named by --db alone: only a key beside it is presumed its own (never the default
    # key of this machine's proxy, which signs another register).
    alone = args.db is not None and args.config is None
    key = args.key or (db.with_name(LEGACY_KEY_NAME) if alone else signing_key_path(settings, db))
    journal = settings.register_checkpoints or db.with_name("register-checkpoints.jsonl")
    return RegisterFiles(settings, db, key, journal)


def _fail(message: str) -> int:
    print(f"Erreur : {message}", file=sys.stderr)
    return 2


def guarded(handler: Handler) -> Handler:
    """Turn the errors a user can cause (missing file, bad key...) into a French message, status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except BrokenPipeError:  # `| head`: the reader has gone, stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except (RegisterError, KeyFileError, JournalError, ConfigFileError, ValueError) as error:
            return _fail(str(error))
        except OSError as error:
            return _fail(f"{error.filename or ''} : {error.strerror}")

    return run


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide : {text!r} (attendu AAAA-MM-JJ)") from None


_FRENCH_DECISIONS = {d.label: d for d in Decision} | {"bloquee": Decision.BLOCKED}
_FRENCH_DECISIONS |= {"echouee": Decision.FAILED}


def decision_arg(text: str) -> Decision:
    value = _FRENCH_DECISIONS.get(text.lower())
    if value is not None:
        return value
    try:
        return Decision(text.lower())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"décision inconnue : {text!r} (transmise, bloquée ou échouée)"
        ) from None


def row_filter(args: argparse.Namespace) -> RowFilter:
    since = f"{args.since.isoformat()}T00:00:00" if args.since else None
    until = f"{(args.until + timedelta(days=1)).isoformat()}T00:00:00" if args.until else None
    return RowFilter(
        since=since,
        until=until,
        service=args.service,
        user=getattr(args, "user", None),
        model=getattr(args, "model", None),
        decision=str(args.decision) if getattr(args, "decision", None) else None,
    )
