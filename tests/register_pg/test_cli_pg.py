"""`gardefou register ...` on a PostgreSQL URL: migrate (byte for byte, verified, a non-empty target
refused), init-db, verify, export, stats, purge and backup (pg_dump), in French."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from proxy.cli import main
from proxy.register.store import Register
from tests.engines.postgres_server import PostgresServer
from tests.register.registerkit import build_entry, make_sealed_register, random_entry
from tests.register_pg.conftest import Database, new_database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["register", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def contents(target: Path | str) -> dict[str, object]:
    register = Register.open(target, readonly=True)
    try:
        return {
            "rows": list(register.rows()),
            "checkpoints": register.checkpoints(),
            "purges": register.purges(),
            "retention": register.retention_records(),
            "tags": register.row_macs(),
            "meta": register.meta(),
        }
    finally:
        register.close()


def test_migrate_moves_a_register_byte_for_byte(
    tmp_path: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    sealed = make_sealed_register(tmp_path, rows=80, every=10, purge_through=20)
    unsealed = Register.open(sealed.path, signing_key_path=sealed.key_path, checkpoint_every=1000)
    unsealed.append_many(random_entry(random.Random(3), 1000 + i) for i in range(3))
    unsealed.engine.close()  # no closing checkpoint: three rows keep their writers' tags
    source = contents(sealed.path)
    args = ["--from", str(sealed.path), "--to", database.app_url, "--key", str(sealed.key_path)]
    code, out, _ = run(capsys, "migrate", *args, "--checkpoints", str(sealed.journal))
    assert code == 0, out
    assert "Registre migré : pas encore scellé." in out and "signatures vérifiées" in out
    assert f"{len(source['rows'])} ligne(s)" in out  # type: ignore[arg-type]
    assert contents(database.app_url) == source
    assert "mot-de-passe" not in out
    code, _, err = run(capsys, "migrate", *args)
    assert code == 2 and "Migration refusée" in err and "contient déjà un registre" in err
    register = Register.open(database.app_url, signing_key_path=sealed.key_path)  # the chain goes on
    register.append(random_entry(random.Random(4), 2000))
    register.close()
    code, out, _ = run(capsys, "verify", "--db", database.app_url, "--key", str(sealed.key_path))
    assert code == 0 and "Registre intègre." in out, out


def test_the_register_commands_accept_a_url(
    tmp_path: Path, cluster: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    database = new_database(cluster, init=False)
    code, out, _ = run(capsys, "init-db", "--url", database.owner_url, "--app-role", "gardefou_app")
    assert code == 0 and "Schéma du registre prêt" in out and "mot-de-passe" not in out
    sealed = make_sealed_register(tmp_path, rows=60, every=10, purge_through=10, target=database.app_url)
    db = ["--db", database.app_url, "--key", str(sealed.key_path)]
    code, out, _ = run(capsys, "verify", *db, "--checkpoints", str(sealed.journal), "--strict")
    assert code == 0 and "Registre intègre." in out and "gardefou_app:***@" in out
    code, _, err = run(capsys, "export", *db, "-o", str(tmp_path / "export.csv"), "--service", "rh")
    with (tmp_path / "export.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert code == 0 and {row["service"] for row in csv.DictReader(handle)} == {"rh"}
    code, out, _ = run(capsys, "stats", *db, "--format", "json")
    assert code == 0 and json.loads(out)["total"]["usages"] == 50
    code, out, err = run(capsys, "backup", *db, str(tmp_path / "registre.dump"))
    assert code == 0 and (tmp_path / "registre.dump").read_bytes().startswith(b"PGDMP"), err
    code, _, err = run(capsys, "purge", *db, "--months", "6")
    assert code == 2 and "Flux hors machine inconnu" in err  # a URL alone: where would its records go?
    config = tmp_path / "gardefou.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'data'}\nregister_url: '{database.app_url}'\n"
        f"register_key: {sealed.key_path}\nregister_checkpoints: {sealed.journal}\n"
    )
    code, out, _ = run(capsys, "purge", "--config", str(config), "--months", "6")
    assert code == 0 and "Rien à purger" in out  # the old rows went when it was built
    code, out, _ = run(capsys, "verify", *db, "--checkpoints", str(sealed.journal))
    # the purge made as the application role, through gardefou_purge, verifies
    assert code == 0 and "Registre intègre." in out and "1 purge(s)" in out


def test_both_register_keys_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "gardefou.yaml"
    config.write_text("register: registre.sqlite\nregister_url: postgresql://app@127.0.0.1/gardefou\n")
    with pytest.raises(SystemExit) as exited:
        main(["register", "stats", "--config", str(config)])
    assert exited.value.code == 2 and "exclusifs" in capsys.readouterr().err


def test_migrate_refuses_two_rows_for_one_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "registre.sqlite"
    register = Register.open(path)
    register.append_many([build_entry(), build_entry()])  # request id "req-1" twice
    register.close()
    target = "postgresql://gardefou_app@127.0.0.1:1/jamais-atteinte"  # refused before connecting
    code, _, err = run(capsys, "migrate", "--from", str(path), "--to", target)
    assert code == 2 and "1 ligne(s) du registre source reprennent l'identifiant" in err


def test_an_unreachable_database_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "stats", "--db", "postgresql://gardefou_app:secret@127.0.0.1:1/gardefou")
    assert code == 2 and "Registre PostgreSQL injoignable" in err and "secret" not in err
