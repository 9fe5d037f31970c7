"""`gardefou keys create|list|revoke`: API keys for agents (shown once, stored hashed)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from proxy.cli.common import config_option, settings_or_exit
from proxy.keystore import KeyStore


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("keys", help="gérer les clés d'API")
    common = [config_option()]
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=common, help="créer une clé (affichée une seule fois)")
    create.add_argument("--user", required=True, help="identifiant de l'agent")
    create.add_argument("--service", required=True, help="service de l'agent (cf. la politique)")
    create.add_argument("--role", default="agent", help="rôle (défaut : agent)")
    create.add_argument("--expires", type=_date, help="date d'expiration (AAAA-MM-JJ)")
    create.set_defaults(func=create_key)
    listing = actions.add_parser("list", parents=common, help="lister les clés (sans leur secret)")
    listing.set_defaults(func=list_keys)
    revoke = actions.add_parser("revoke", parents=common, help="révoquer une clé")
    revoke.add_argument("key_id", help="identifiant de la clé (colonne « id » de keys list)")
    revoke.set_defaults(func=revoke_key)


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide : {text!r} (attendu AAAA-MM-JJ)") from None


def _store(args: argparse.Namespace) -> KeyStore:
    return KeyStore(settings_or_exit(args.config).keys_path)


def create_key(args: argparse.Namespace) -> int:
    new = _store(args).create(user=args.user, service=args.service, role=args.role, expires_at=args.expires)
    print(new.secret_key)
    print(
        f"Clé {new.record.key_id} créée pour {args.user} (service {args.service}, rôle {args.role}). "
        "Elle ne sera plus jamais affichée : transmettez-la à l'agent par un canal sûr.",
        file=sys.stderr,
    )
    return 0


def list_keys(args: argparse.Namespace) -> int:
    print(f"{'id':<14}{'utilisateur':<20}{'service':<18}{'rôle':<8}{'expire':<27}état")
    now = datetime.now(UTC)
    for key in _store(args).list():
        state = "active" if key.is_active(now) else ("révoquée" if key.revoked_at else "expirée")
        print(
            f"{key.key_id:<14}{key.user:<20}{key.service:<18}{key.role:<8}{key.expires_at or '-':<27}{state}"
        )
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    if _store(args).revoke(args.key_id):
        print(f"Clé {args.key_id} révoquée.")
        return 0
    print(f"Aucune clé active avec l'identifiant {args.key_id}.")
    return 1
