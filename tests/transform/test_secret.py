"""The pseudonymisation secret file: created once with 0600, shared by concurrent starts, checked."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from proxy.transform.secret import PseudonymSecret, SecretFileError


def test_created_at_first_start_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "data" / "pseudonym.key"
    first = PseudonymSecret.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = PseudonymSecret.load_or_create(path)
    assert first.key_for("agent.urba") == again.key_for("agent.urba")
    assert first.key_for("agent.urba") != first.key_for("agent.rh")
    assert path.read_text().strip() not in repr(first)
    assert list(path.parent.iterdir()) == [path]  # no draft left behind


def test_concurrent_first_starts_agree_on_one_secret(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    with ThreadPoolExecutor(8) as pool:
        secrets = list(pool.map(lambda _: PseudonymSecret.load_or_create(path), range(16)))
    assert len({s.key_for("x") for s in secrets}) == 1


def test_a_secret_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pseudonym.key"
    PseudonymSecret.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(SecretFileError, match="chmod 600"):
        PseudonymSecret.load_or_create(path)


@pytest.mark.parametrize("content", ["", "pas de l'hexadécimal\n", "abcd\n"])
def test_a_malformed_secret_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "pseudonym.key"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(SecretFileError, match="illisible ou trop court"):
        PseudonymSecret.load_or_create(path)
