"""`gardefou keys`: create (shown once), list (never the secret), revoke; roles checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from proxy.cli import main
from proxy.keystore import KeyStore
from proxy.roles import Role


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "gardefou.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}), encoding="utf-8")
    return path


def keys(config: Path, *args: str) -> list[str]:
    return ["keys", args[0], "--config", str(config), *args[1:]]


def test_create_list_revoke(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(keys(config, "create", "--user", "agent.urba", "--service", "urbanisme")) == 0
    out, err = capsys.readouterr()
    secret = out.strip()
    assert secret.startswith("gf_") and "ne sera plus jamais affichée" in err
    store = KeyStore(config.parent / "data" / "keys.sqlite")
    record = store.authenticate(secret)
    assert record is not None and record.role is Role.AGENT
    assert main(keys(config, "list")) == 0
    listing = capsys.readouterr().out
    assert record.key_id in listing and secret not in listing and secret.split("_", 2)[2] not in listing
    assert "active" in listing
    assert main(keys(config, "revoke", record.key_id)) == 0
    assert store.authenticate(secret) is None
    assert main(keys(config, "revoke", record.key_id)) == 1


def test_privileged_keys_are_created_on_the_host_with_an_expiry(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--user", "rssi.ville", "--role", "rssi", "--expires", "2099-01-31")
    assert main(keys(config, "create", *args)) == 0
    secret = capsys.readouterr().out.strip()
    record = KeyStore(config.parent / "data" / "keys.sqlite").authenticate(secret)
    assert record is not None and record.role is Role.RSSI
    assert record.expires_at == "2099-01-31T00:00:00+00:00"


@pytest.mark.parametrize(
    "args",
    [
        ("--user", "x", "--service", "rh", "--role", "superadmin"),
        ("--user", "x", "--service", "rh", "--expires", "demain"),
    ],
)
def test_unknown_roles_and_bad_dates_are_refused(config: Path, args: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(keys(config, "create", *args))
    assert exit_.value.code == 2
    assert (
        not (config.parent / "data" / "keys.sqlite").exists()
        or not KeyStore(config.parent / "data" / "keys.sqlite").list()
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--user", "agent.sans.service"),  # agent keys need a service
        ("--user", "Marie Dubois", "--service", "rh"),
        ("--user", "x", "--service", "rh", "--expires", "2001-01-01"),
    ],
)
def test_refusals_are_explained_in_french(
    config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    assert main(keys(config, "create", *args)) == 2
    assert capsys.readouterr().err.startswith("Erreur")
    assert KeyStore(config.parent / "data" / "keys.sqlite").list() == []
