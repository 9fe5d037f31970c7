"""The key store as the configuration describes it: PostgreSQL when `keys_url` is set (several
instances share it), else the SQLite file `keys` (one machine)."""

from __future__ import annotations

from proxy.keystore import Keys, KeyStore
from proxy.keystore_pg import PostgresKeyStore
from proxy.settings import Settings


def open_keystore(settings: Settings) -> Keys:
    if settings.keys_url is not None:
        return PostgresKeyStore(settings.keys_url, settings.keys_cache_s)
    return KeyStore(settings.keys_path)
