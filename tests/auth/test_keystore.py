"""API keys: shown once, stored hashed, refused when wrong, expired or revoked; ids everywhere else."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from proxy.keystore import KeyRequestError, KeyStore
from proxy.roles import Role


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys.sqlite")


def test_a_new_key_authenticates_and_only_its_hash_is_stored(store: KeyStore) -> None:
    new = store.create(user="agent.urba", service="urbanisme")
    record = store.authenticate(new.secret_key)
    assert record is not None and (record.user, record.service, record.role) == (
        "agent.urba",
        "urbanisme",
        Role.AGENT,
    )
    secret = new.secret_key.split("_", 2)[2]
    assert secret.encode() not in store.path.read_bytes()
    assert new.record.key_id in new.secret_key
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_wrong_secret_unknown_id_and_malformed_keys_are_refused(store: KeyStore) -> None:
    new = store.create(user="agent.urba", service="urbanisme")
    key_id = new.record.key_id
    for presented in (
        f"gf_{key_id}_{'A' * 43}",  # right id, wrong secret
        "gf_0123456789ab_" + new.secret_key.split("_", 2)[2],  # right secret, unknown id
        new.secret_key[:-1],  # truncated
        new.secret_key + "x",
        "",
        "gf__",
        f"gf_{key_id}_' OR '1'='1",
        new.secret_key.upper(),
    ):
        assert store.authenticate(presented) is None, presented


def test_expired_and_revoked_keys_are_refused(store: KeyStore) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    expiring = store.create(user="a.b", service="rh", expires_at=soon)
    assert store.authenticate(expiring.secret_key) is not None
    assert store.authenticate(expiring.secret_key, now=soon + timedelta(seconds=1)) is None
    revoked = store.create(user="c.d", service="rh")
    assert store.revoke(revoked.record.key_id)
    assert store.authenticate(revoked.secret_key) is None
    assert not store.revoke(revoked.record.key_id)  # already revoked
    states = {r.key_id: r.state(soon + timedelta(seconds=1)) for r in store.list()}
    assert states == {expiring.record.key_id: "expirée", revoked.record.key_id: "révoquée"}


@pytest.mark.parametrize(
    ("user", "service"),
    [
        ("Marie Dubois", "rh"),
        ("a", "r h"),
        ("", "rh"),
        ("a" * 121, "rh"),
        ("x<script>", "rh"),
        ("a", "rh;--"),
    ],
)
def test_identifiers_that_could_not_be_recorded_are_refused(store: KeyStore, user: str, service: str) -> None:
    with pytest.raises(KeyRequestError):
        store.create(user=user, service=service)
    assert store.list() == []


def test_an_expiry_in_the_past_is_refused(store: KeyStore) -> None:
    with pytest.raises(KeyRequestError):
        store.create(user="a", service="rh", expires_at=datetime.now(UTC) - timedelta(days=1))


def test_revoke_ignores_ids_that_are_not_key_ids(store: KeyStore) -> None:
    new = store.create(user="a", service="rh")
    assert not store.revoke("' OR 1=1 --")
    assert not store.revoke("%")
    assert store.authenticate(new.secret_key) is not None
