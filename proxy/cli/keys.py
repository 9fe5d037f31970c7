"""`gardefou keys create|list|revoke`: API keys (shown once, stored hashed, referred to by their id).

Only this command, run on the server, can create rssi, dpo or admin keys: access to the server's
files is what makes someone an administrator. The admin API hands out agent keys only.
With `keys_url` the keys live in PostgreSQL; `keys init` creates their table there once, as the
database owner, and grants the application role what it needs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from proxy.cli.common import config_option, settings_or_exit
from proxy.errors import KeysUnavailable
from proxy.governance.acks_pg import install_schema as install_ack_schema
from proxy.governance.charter import CharterUnavailable
from proxy.keystore import KeyRequestError, Keys
from proxy.keystore_configured import open_keystore
from proxy.keystore_pg import KeysSchemaMissing, install_schema
from proxy.roles import Role


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("keys", help="gérer les clés d'API")
    common = [config_option()]
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create",
        parents=common,
        help="créer une clé (affichée une seule fois)",
        epilog="Rôles : " + " ; ".join(role.label for role in Role),
    )
    create.add_argument("--user", required=True, help="identifiant de l'utilisateur (sans espace)")
    create.add_argument("--service", help="service de l'agent (cf. la politique) ; obligatoire pour agent")
    create.add_argument(
        "--role", type=Role, choices=list(Role), default=Role.AGENT, help="rôle (défaut : agent)"
    )
    create.add_argument("--expires", type=_date, help="date d'expiration (AAAA-MM-JJ, 00:00 UTC)")
    create.set_defaults(func=create_key)
    listing = actions.add_parser("list", parents=common, help="lister les clés (jamais leur secret)")
    listing.set_defaults(func=list_keys)
    revoke = actions.add_parser("revoke", parents=common, help="révoquer une clé")
    revoke.add_argument("key_id", help="identifiant de la clé (colonne « id » de keys list)")
    revoke.set_defaults(func=revoke_key)
    init = actions.add_parser(
        "init",
        help="créer la table des clés dans PostgreSQL (une fois, avec le rôle propriétaire)",
        description="Crée la table des clés, son garde-fou (une clé révoquée le reste) et les droits du "
        "rôle applicatif (lecture, ajout, révocation ; jamais d'effacement). Mot de passe : PGPASSWORD "
        "ou ~/.pgpass.",
    )
    init.add_argument("--url", required=True, help="postgresql://PROPRIÉTAIRE@hôte:5432/base")
    init.add_argument("--app-role", default="gardefou_app", help="rôle des instances (défaut : gardefou_app)")
    init.set_defaults(func=init_keys)


def _date(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide : {text!r} (attendu AAAA-MM-JJ)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _store(args: argparse.Namespace) -> Keys:
    try:
        return open_keystore(settings_or_exit(args.config))
    except (KeysSchemaMissing, KeysUnavailable) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        raise SystemExit(2) from None


def init_keys(args: argparse.Namespace) -> int:
    try:
        install_schema(args.url, args.app_role)
        install_ack_schema(args.url, args.app_role)
    except (KeysUnavailable, CharterUnavailable) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    print(f"Table des clés prête ; le rôle {args.app_role} peut lire, ajouter et révoquer des clés.")
    print(f"Table des acceptations de la charte prête ; le rôle {args.app_role} peut les lire et en ajouter.")
    return 0


def create_key(args: argparse.Namespace) -> int:
    role: Role = args.role
    if role is Role.AGENT and not args.service:
        print("Erreur : --service est obligatoire pour une clé agent.", file=sys.stderr)
        return 2
    service = args.service or "gardefou"
    try:
        new = _store(args).create(user=args.user, service=service, role=role, expires_at=args.expires)
    except KeyRequestError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    print(new.secret_key)
    print(
        f"Clé {new.record.key_id} créée pour {args.user} (service {service}, rôle {role}). "
        "Elle ne sera plus jamais affichée : transmettez-la par un canal sûr.",
        file=sys.stderr,
    )
    if role is not Role.AGENT and args.expires is None:
        print(
            "Conseil : donnez une date d'expiration (--expires) aux clés rssi, dpo et admin.", file=sys.stderr
        )
    return 0


def list_keys(args: argparse.Namespace) -> int:
    print(f"{'id':<14}{'utilisateur':<24}{'service':<18}{'rôle':<8}{'expire':<27}{'dernier usage':<15}état")
    now = datetime.now(UTC)
    for key in _store(args).list():
        expires, used = key.expires_at or "-", key.last_used_at or "-"
        print(
            f"{key.key_id:<14}{key.user:<24}{key.service:<18}{key.role:<8}{expires:<27}{used:<15}{key.state(now)}"
        )
    return 0


def revoke_key(args: argparse.Namespace) -> int:
    if _store(args).revoke(args.key_id):
        print(f"Clé {args.key_id} révoquée.")
        return 0
    print(f"Aucune clé active avec l'identifiant {args.key_id}.", file=sys.stderr)
    return 1
