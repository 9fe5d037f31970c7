"""`gardefou register ...` end to end on real files, in French."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml
from registerkit import SealedRegister, make_sealed_register

from proxy.cli import main


@pytest.fixture
def sealed(tmp_path: Path) -> SealedRegister:
    return make_sealed_register(tmp_path, rows=40, every=10, purge_through=10)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["register", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def db_args(sealed: SealedRegister) -> list[str]:
    return ["--db", str(sealed.path), "--key", str(sealed.key_path)]


def test_verify_ok_then_tampered(sealed: SealedRegister, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*db_args(sealed), "--checkpoints", str(sealed.journal), "--strict"]
    code, out, _ = run(capsys, "verify", *args)
    assert code == 0 and "Registre intègre" in out and "30 ligne(s)" in out
    conn = sqlite3.connect(sealed.path)
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET user = 'quelquun' WHERE seq = 25")
    conn.commit()
    conn.close()
    code, out, _ = run(capsys, "verify", *args)
    assert code == 1 and "REGISTRE ALTÉRÉ" in out
    assert "Première ligne en cause : 25" in out and "entries_no_update" in out


def test_verify_with_printed_public_key(sealed: SealedRegister, capsys: pytest.CaptureFixture[str]) -> None:
    _, printed, _ = run(capsys, "pubkey", "--key", str(sealed.key_path))
    assert printed.startswith("ed25519:")
    code, out, _ = run(capsys, "verify", "--db", str(sealed.path), "--pubkey", printed.strip())
    assert code == 0 and "ATTENTION" not in out
    code, out, _ = run(capsys, "verify", "--db", str(sealed.path))  # no key: said plainly
    assert code == 0 and "signatures non vérifiées" in out


def test_export_stats_backup_checkpoint(
    sealed: SealedRegister, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_csv = tmp_path / "export.csv"
    code, _, err = run(capsys, "export", *db_args(sealed), "-o", str(out_csv), "--service", "rh")
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert code == 0 and f"{len(records)} ligne(s) exportée(s)" in err
    assert records and {r["service"] for r in records} == {"rh"}
    code, out, _ = run(capsys, "stats", *db_args(sealed), "--format", "json")
    assert code == 0 and json.loads(out)["total"]["usages"] == 30
    code, out, _ = run(capsys, "backup", *db_args(sealed), str(tmp_path / "copie.sqlite"))
    assert code == 0 and (tmp_path / "copie.sqlite").exists()
    code, out, _ = run(capsys, "checkpoint", *db_args(sealed), "--export", str(tmp_path / "p.jsonl"))
    assert code == 0 and "Déjà scellé" in out
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == 4


def test_purge_keeps_recent_rows(sealed: SealedRegister, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "purge", *db_args(sealed), "--months", "6")
    assert code == 0 and "Rien à purger" in out
    code, _, err = run(capsys, "purge", *db_args(sealed), "--months", "3")
    assert code == 2 and "entre 6 et 36" in err


def test_config_names_the_register(
    sealed: SealedRegister, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gardefou.yaml"
    settings = {"register": str(sealed.path), "register_key": str(sealed.key_path)}
    settings["register_checkpoints"] = str(sealed.journal)
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    code, out, _ = run(capsys, "verify", "--config", str(config))
    assert code == 0 and "Copie externe des points de contrôle : 4" in out
    code, out, _ = run(capsys, "art30", "--config", str(config))
    assert code == 0 and "## Traitement 1" in out and "## Traitement 2" in out
    assert "12 mois" in out and "[à compléter]" in out and "ed25519:" in out


def test_missing_register_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("verify", "export", "stats", "backup"):
        extra = [str(tmp_path / "b.sqlite")] if action == "backup" else []
        code, _, err = run(capsys, action, "--db", str(tmp_path / "absent.sqlite"), *extra)
        assert code == 2 and "Registre introuvable" in err


def test_a_file_that_is_not_a_register(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "texte.sqlite").write_text("ceci n'est pas une base", encoding="utf-8")
    code, _, err = run(capsys, "verify", "--db", str(tmp_path / "texte.sqlite"))
    assert code == 2 and "registre illisible" in err
    sqlite3.connect(tmp_path / "autre.sqlite").execute("CREATE TABLE t (x)").connection.close()
    code, _, err = run(capsys, "stats", "--db", str(tmp_path / "autre.sqlite"))
    assert code == 2 and "registre illisible" in err


def test_writing_actions_never_create_a_new_key(
    sealed: SealedRegister, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in ("purge", "checkpoint"):
        code, _, err = run(capsys, action, "--db", str(sealed.path), "--key", str(tmp_path / "x.pem"))
        assert code == 2 and "Clé de signature introuvable" in err
    assert not (tmp_path / "x.pem").exists()


def test_art30_as_opendocument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "registre-art30.fodt"
    code, _, _ = run(capsys, "art30", "--db", str(tmp_path / "r.sqlite"), "-o", str(output))
    root = ElementTree.parse(output).getroot()
    text_ns = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    headings = ["".join(h.itertext()) for h in root.iter(f"{text_ns}h")]
    assert code == 0 and root.tag.endswith("document")
    assert headings[1].startswith("Traitement 1") and headings[2].startswith("Traitement 2")
    assert any("Finalités" in "".join(s.itertext()) for s in root.iter(f"{text_ns}span"))
    assert "**" not in output.read_text(encoding="utf-8")
