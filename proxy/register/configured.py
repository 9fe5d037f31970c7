"""The register as the configuration describes it: file, signing key, checkpoint copy, retention.

Configuration keys (proxy/settings.py): `register` (SQLite file), `register_key` (Ed25519 private
key, default `register-signing.key` beside the register), `register_checkpoints` (JSON-lines copy of
every checkpoint, default `register-checkpoints.jsonl` beside the register),
`register_checkpoint_every` (default 100) and `register_retention_months` (default 12, 6 to 36).
"""

from __future__ import annotations

from pathlib import Path

from proxy.register.journal import read_checkpoints
from proxy.register.signing import load_signer
from proxy.register.store import Register
from proxy.register.verify import VerifyReport, verify_register
from proxy.settings import Settings


def signing_key_path(settings: Settings) -> Path:
    return settings.register_key or settings.register_path.with_name("register-signing.key")


def checkpoint_journal_path(settings: Settings) -> Path:
    default = settings.register_path.with_name("register-checkpoints.jsonl")
    return settings.register_checkpoints or default


def open_register(settings: Settings) -> Register:
    """Open (create) the register for the proxy: signed checkpoints, copied to the journal file."""
    return Register.open(
        settings.register_path,
        signing_key_path=signing_key_path(settings),
        checkpoint_every=settings.register_checkpoint_every,
        checkpoint_journal=checkpoint_journal_path(settings),
    )


def verify_configured(settings: Settings) -> VerifyReport | None:
    """Verify the configured register (chain, signatures, checkpoint copy) from a read-only
    connection; None while no register file exists yet."""
    if not settings.register_path.exists():
        return None
    key_path = signing_key_path(settings)
    public = load_signer(key_path).public if key_path.exists() else None
    journal = checkpoint_journal_path(settings)
    external = read_checkpoints(journal) if journal.exists() else []
    register = Register.open(settings.register_path, readonly=True)
    try:
        return verify_register(register, public_key=public, external=external)
    finally:
        register.close()
