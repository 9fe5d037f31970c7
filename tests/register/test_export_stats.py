"""Exports (CSV for spreadsheets, JSON lines) with French headers and filters; statistics."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from registerkit import EntryFactory, random_entry

from proxy.register.entry import Decision
from proxy.register.export import HEADERS, ExportFormat, write_export
from proxy.register.records import RowFilter
from proxy.register.stats import compute_stats, render_text, stats_json
from proxy.register.store import Register

ENTRIES = [random_entry(random.Random(11), i) for i in range(60)]


@pytest.fixture
def register(tmp_path: Path) -> Register:
    register = Register.open(tmp_path / "registre.sqlite")
    register.append_many(ENTRIES)
    return register


def test_csv_has_french_headers_and_one_line_per_row(register: Register, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        assert write_export(register.rows(), out, ExportFormat.CSV) == len(ENTRIES)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets detect UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert list(records[0]) == list(HEADERS.values())
    assert "horodatage_utc" in records[0] and "utilisateur" in records[0]
    assert [r["identifiant_requete"] for r in records] == [e.request_id for e in ENTRIES]
    decisions = Counter(r["decision"] for r in records)
    assert decisions == Counter(e.decision.label for e in ENTRIES)
    first = next(e for e in ENTRIES if e.entity_counts)
    record = next(r for r in records if r["identifiant_requete"] == first.request_id)
    assert int(record["nb_donnees_retirees"]) == sum(first.entity_counts.values())


def test_jsonl_keeps_structured_values(register: Register) -> None:
    out = io.StringIO()
    write_export(register.rows(), out, ExportFormat.JSONL)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(ENTRIES)
    for record, entry in zip(records, ENTRIES, strict=True):
        assert record["regles_appliquees"] == list(entry.rule_ids)
        assert sum(record["donnees_retirees"].values()) == sum(entry.entity_counts.values())
        assert record["flux"] is entry.stream
        assert record["energie_wh"] == entry.energy_wh


@pytest.mark.parametrize(
    ("row_filter", "keep"),
    [
        (RowFilter(service="rh"), lambda e: e.service == "rh"),
        (RowFilter(user="agent3"), lambda e: e.user == "agent3"),
        (RowFilter(model="demo"), lambda e: "demo" in (e.model, e.routed_model)),
        (RowFilter(decision="blocked"), lambda e: e.decision is Decision.BLOCKED),
        (RowFilter(service="rh", decision="forwarded"),
         lambda e: e.service == "rh" and e.decision is Decision.FORWARDED),
        (RowFilter(until="2000-01-01"), lambda e: False),
        (RowFilter(since="2000-01-01", until="9999-01-01"), lambda e: True),
    ],
)  # fmt: skip
def test_filters(register: Register, row_filter: RowFilter, keep: object) -> None:
    assert callable(keep)
    selected = [row["request_id"] for row in register.rows(row_filter)]
    assert selected == [e.request_id for e in ENTRIES if keep(e)]


def test_stats_per_service_and_month(register: Register) -> None:
    stats = compute_stats(register.rows())
    assert stats.total.uses == len(ENTRIES)
    assert stats.total.blocked == sum(e.decision is Decision.BLOCKED for e in ENTRIES)
    for service, totals in stats.by_service.items():
        mine = [e for e in ENTRIES if e.service == service]
        assert totals.uses == len(mine)
        assert totals.energy_wh == pytest.approx(sum(e.energy_wh or 0 for e in mine))
        assert totals.gco2e == pytest.approx(sum(e.gco2e or 0 for e in mine))
    expected = Counter[str]()
    for entry in ENTRIES:
        expected.update(entry.entity_counts)
    assert stats.total.redactions_total == sum(expected.values())
    assert stats.total.redactions["PERSONNE"] == expected["PERSON"]
    assert sum(t.uses for t in stats.by_service_month.values()) == len(ENTRIES)
    text = render_text(stats)
    assert "Par service et par mois" in text and "agent" not in text  # never per agent
    assert stats_json(stats)["total"]["usages"] == len(ENTRIES)


def test_backup_is_a_consistent_copy(register: Register, tmp_path: Path, entry_factory: EntryFactory) -> None:
    register.backup(tmp_path / "copie.sqlite")
    register.append(entry_factory(request_id="after-backup"))
    copy = Register.open(tmp_path / "copie.sqlite", readonly=True)
    assert copy.count() == len(ENTRIES) and copy.integrity_check() == "ok"
    assert copy.register_id == register.register_id
    copy.close()
    register.close()
