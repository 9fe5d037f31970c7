"""The register as the configuration describes it: file, signing key, off-host stream, retention.

Configuration keys (proxy/settings.py): `register` (SQLite file) or `register_url` (PostgreSQL),
`register_key` (Ed25519 private
key; default outside the data directory, see `signing_key_path`), `register_checkpoints` (the
off-host stream file, default `register-checkpoints.jsonl` beside the register), `register_syslog`,
`register_checkpoint_every` (default 100), `register_seal_interval_s` (default 1 s) and
`register_retention_months` (default 12, 6 to 36).
"""

from __future__ import annotations

import logging
from pathlib import Path

from proxy.register.engine import without_password
from proxy.register.journal import read_checkpoints
from proxy.register.signing import load_signer
from proxy.register.store import Register
from proxy.register.verify import VerifyReport, verify_register
from proxy.settings import Settings, default_signing_key

log = logging.getLogger(__name__)

LEGACY_KEY_NAME = "register-signing.key"


def signing_key_path(settings: Settings, db: Path | None = None) -> Path:
    """The configured key; else a key already beside the register (older default); else the
    default outside the data directory."""
    if settings.register_key is not None:
        return settings.register_key
    beside = (db or settings.register_path).with_name(LEGACY_KEY_NAME)
    return beside if beside.exists() else default_signing_key()


def key_beside_register(key: Path, settings: Settings, db: Path | None = None) -> bool:
    """Whether the signing key sits with the data it signs (whoever copies or alters one has both)."""
    register_dir = (db or settings.register_path).resolve().parent
    key_dir = key.resolve().parent
    data_dir = settings.data_dir.resolve()
    return key_dir == register_dir or key_dir.is_relative_to(data_dir)


KEY_BESIDE_WARNING = (
    "ATTENTION : la clé de signature du registre ({key}) est à côté du registre : quiconque peut "
    "modifier le registre peut aussi re-signer ses points de contrôle. Placez-la ailleurs "
    "(register_key) et gardez la clé publique et le flux hors machine (register_checkpoints) ailleurs."
)


def checkpoint_journal_path(settings: Settings) -> Path:
    default = settings.register_path.with_name("register-checkpoints.jsonl")
    return settings.register_checkpoints or default


def register_exists(settings: Settings) -> bool:
    """Whether there is a register to read: the SQLite file exists; a PostgreSQL URL is configured."""
    target = settings.register_target
    return not isinstance(target, Path) or target.exists()


def register_label(settings: Settings) -> str:
    """The register's location for people: the file, or the URL without its password."""
    return without_password(settings.register_url) if settings.register_url else str(settings.register_path)


def open_register(settings: Settings) -> Register:
    """Open (create) the register for the proxy: signed checkpoints, sent to the off-host stream."""
    key = signing_key_path(settings)
    if key_beside_register(key, settings):
        log.warning(KEY_BESIDE_WARNING.format(key=key))
    return Register.open(
        settings.register_target,
        signing_key_path=key,
        checkpoint_every=settings.register_checkpoint_every,
        checkpoint_journal=checkpoint_journal_path(settings),
        retention_months=settings.register_retention_months,
        syslog=settings.register_syslog,
    )


def verify_configured(settings: Settings) -> VerifyReport | None:
    """Verify the configured register (chain, signatures, checkpoint copy) from a read-only
    connection; None while no register file exists yet."""
    if not register_exists(settings):
        return None
    key_path = signing_key_path(settings)
    public = load_signer(key_path).public if key_path.exists() else None
    journal = checkpoint_journal_path(settings)
    external = lambda: read_checkpoints(journal) if journal.exists() else []  # noqa: E731 - read after the file
    register = Register.open(settings.register_target, readonly=True)
    try:
        return verify_register(register, public_key=public, external=external)
    finally:
        register.close()
