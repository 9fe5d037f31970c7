"""The console's JSON API on a real server with a generated register: filters and pages, French
labels and local dates, integrity status, exports of exactly the filtered rows."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from proxy.roles import Role
from proxy.tasks import TaskKind
from proxy.web.admin_view import TASK_LABELS
from tests.web.appkit import Site, chat_body

PARIS = ZoneInfo("Europe/Paris")


def paris_month(ts: str) -> str:
    return (
        datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).astimezone(PARIS).strftime("%Y-%m")
    )


def stored(site: Site) -> list[dict[str, object]]:
    with closing(sqlite3.connect(site.settings.register_path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM entries ORDER BY seq")]


def expected_seqs(site: Site, service: str, month: str) -> list[int]:
    return [
        int(r["seq"]) for r in stored(site) if r["service"] == service and paris_month(str(r["ts"])) == month
    ]  # type: ignore[call-overload]


def test_pages_filters_and_french_labels(console_site: Site) -> None:
    site, query = console_site, {"service": "rh", "month": "2026-07", "per_page": 10}
    expected = expected_seqs(site, "rh", "2026-07")
    first = site.request("GET", "/admin/api/register/entries", Role.RSSI, params=query).json()
    assert first["matched"] == len(expected) > 10 and first["pages"] == -(-len(expected) // 10)
    seen = []
    for page in range(1, first["pages"] + 1):
        data = site.request(
            "GET", "/admin/api/register/entries", Role.RSSI, params={**query, "page": page}
        ).json()
        seen += [e["seq"] for e in data["entries"]]
    assert sorted(seen) == expected and seen[:10] == expected[-10:]  # page 1: the latest rows, in chain order
    entry = first["entries"][0]
    assert entry["decision_label"] in {"transmise", "bloquée", "échouée"}
    assert (
        len(entry["date"]) == 19 and entry["date"][2] == "/" and "." not in entry["date"]
    )  # 14/07/2026 10:05:01
    assert entry["route"] in {"conversation", "vectorisation (embeddings)"}
    assert all(
        r["type"]
        in {
            "nom de personne",
            "numéro de téléphone",
            "adresse électronique",
            "adresse postale",
            "numéro de sécurité sociale",
        }
        for e in first["entries"]
        for r in e["removed"]
    )


def test_a_month_is_a_paris_month(console_site: Site) -> None:
    """The row at 23:00 UTC on the last day of June is in July in Paris."""
    rows = [r for r in stored(console_site) if str(r["ts"]).startswith("2026-06-30T23:00")]
    assert rows
    data = console_site.request(
        "GET", "/admin/api/register/entries", Role.RSSI, params={"month": "2026-07", "per_page": 200}
    ).json()
    july = [e["seq"] for e in data["entries"]]
    assert rows[0]["seq"] in july or data["matched"] > 200


def test_filters_by_route_task_rule_and_detail(console_site: Site) -> None:
    site = console_site
    rule = "use.detection-fraude.block"
    observed = [r for r in stored(site) if rule in json.loads(str(r["observed_rule_ids"] or "[]"))]
    data = site.request(
        "GET", "/admin/api/register/entries", Role.RSSI, params={"rule": rule, "per_page": 200}
    ).json()
    assert data["matched"] == len(observed) > 0
    tasks = site.request(
        "GET", "/admin/api/register/entries", Role.RSSI, params={"task": "-", "per_page": 1}
    ).json()
    assert tasks["matched"] == sum(1 for r in stored(site) if r["task"] is None)
    embeddings = site.request(
        "GET", "/admin/api/register/entries", Role.RSSI, params={"endpoint": "embeddings", "per_page": 1}
    ).json()
    assert embeddings["matched"] == sum(1 for r in stored(site) if r["endpoint"] == "embeddings")
    detail = site.request("GET", f"/admin/api/register/entries/{observed[0]['seq']}", Role.RSSI).json()
    assert (
        detail["observed_rules"] == [rule] and len(detail["policy_sha256"]) == 64 and detail["energy_wh"] > 0
    )
    choices = site.request("GET", "/admin/api/register/choices", Role.RSSI).json()
    assert {"2026-06", "2026-09"} <= set(choices["months"]) and rule in choices["rules"]
    assert site.request("GET", "/admin/api/register/entries", Role.DPO).status_code == 403


def test_integrity_is_never_called_intact_while_rows_are_unsealed(console_site: Site) -> None:
    site = console_site
    for _ in range(2):
        assert site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body()).status_code == 200
    report = site.request("GET", "/admin/api/register/verify", Role.RSSI).json()
    assert report["ok"] is True and report["unsealed"] >= 1
    assert "intègre" not in report["status"] and "pas encore scellée" in report["status"]
    assert report["sealed"] == report["rows"] - report["unsealed"] and report["last_checkpoint_age_s"] >= 0


def test_exports_hold_exactly_the_filtered_rows(console_site: Site) -> None:
    site = console_site
    expected = expected_seqs(site, "urbanisme", "2026-08")
    params = {"service": "urbanisme", "month": "2026-08"}
    export = site.request("GET", "/admin/api/register/export", Role.RSSI, params=params)
    assert export.content.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert [int(r["numero"]) for r in table] == expected
    assert {r["decision"] for r in table} <= {"transmise", "bloquée", "échouée"}
    assert all("," in r["energie_wh"] for r in table if r["energie_wh"])  # decimal comma
    jsonl = site.request("GET", "/admin/api/register/export", Role.RSSI, params={**params, "fmt": "jsonl"})
    assert [json.loads(line)["numero"] for line in jsonl.text.splitlines()] == expected


def test_statistics_per_service_and_month_in_french_without_agents(console_site: Site) -> None:
    site = console_site
    rows = stored(site)
    for role in (Role.RSSI, Role.DPO):
        stats = site.request("GET", "/admin/api/stats", role, params={"service": "rh"}).json()
        by_month = {r["mois"]: r for r in stats["par_service_et_mois"]}
        july = [r for r in rows if r["service"] == "rh" and paris_month(str(r["ts"])) == "2026-07"]
        assert by_month["2026-07"]["usages"] == len(july)
        blocked = sum(1 for r in july if r["decision"] == "blocked")
        assert by_month["2026-07"]["refus_par_regle"].get("use.decision-sanction.block", 0) == blocked
        total = stats["total"]
        observed = [r for r in rows if r["service"] == "rh" and r["observed_rule_ids"]]
        assert total["regles_observees"] == {"use.detection-fraude.block": len(observed)}  # counted once
        assert "nom de personne" in total["donnees_retirees"]
        assert total["modeles"][0]["hebergement"] == "sur site (local)" and total["energie_wh"] > 0
        assert "usage par l'agent" in stats["taches_libelles"].values()
        assert "agent." not in json.dumps(stats)  # never a figure per agent


def test_policy_errors_are_french_with_line_and_key(console_site: Site) -> None:
    site = console_site
    current = site.request("GET", "/admin/api/policy", Role.DPO).json()["yaml"]
    typo = current.replace("action: pseudonymise", "action: pseudonymize", 1).replace(
        "threshold: 0.5", "threshold: 7", 1
    )
    problems = site.request("POST", "/admin/api/policy/validate", Role.DPO, content=typo).json()["problems"]
    allowed = "'pseudonymise', 'mask', 'block', 'allow'"
    assert problems == [
        f"ligne 14, clé « defaults.action » : valeur attendue parmi : {allowed}",
        "ligne 15, clé « defaults.threshold » : doit être inférieur ou égal à 1.0",
    ]
    broken = current.replace('name: "Commune', 'name: ["Commune', 1)
    problems = site.request("POST", "/admin/api/policy/validate", Role.DPO, content=broken).json()["problems"]
    assert len(problems) == 1 and problems[0].startswith(
        "ligne 11, colonne 1 : YAML invalide (dans une liste"
    )
    assert "Input should" not in json.dumps(problems) and "/tmp" not in json.dumps(problems)


def test_the_dpo_reviews_installs_and_rolls_back_a_policy(console_site: Site) -> None:
    site = console_site
    before = site.request("GET", "/admin/api/policy", Role.DPO).json()
    candidate = before["yaml"].replace("    SIRET: allow\n", "    SIRET: allow\n    EMAIL: block\n", 1)
    candidate = candidate.replace("assessed_areas: [employment]", "assessed_areas: []", 1)  # breaks a case
    review = site.request("POST", "/admin/api/policy/review", Role.DPO, content=candidate).json()
    assert review["valid"] and "+    EMAIL: block" in review["diff"]
    changed = {(c["source"], c["name"], c["service"]) for c in review["changes"]}
    assert ("exemple", "Adresse électronique", "urbanisme") in changed
    case = next(c for c in review["changes"] if c["source"] == "cas")
    assert case["service"] == "rh" and case["problems"] and case["after"].startswith("refusée")
    email = chat_body("Écris à jean.martin@example.fr pour confirmer le rendez-vous.")
    assert site.request("POST", "/v1/chat/completions", Role.AGENT, json=email).status_code == 200
    installed = site.request("POST", "/admin/api/policy/install", Role.DPO, content=candidate)
    assert installed.status_code == 200 and installed.json()["previous"] == before["sha256"]
    refused = site.request("POST", "/v1/chat/completions", Role.AGENT, json=email)
    assert refused.status_code == 403 and "adresse électronique" in refused.json()["error"]["message"]
    history = site.request("GET", "/admin/api/policy/history", Role.RSSI).json()
    assert history["current"] == installed.json()["sha256"] == history["installations"][0]["sha256"]
    back = site.request("POST", "/admin/api/policy/rollback", Role.DPO, json={"sha256": before["sha256"]})
    assert back.status_code == 200
    assert site.request("GET", "/admin/api/policy", Role.DPO).json()["sha256"] == before["sha256"]
    assert site.request("POST", "/v1/chat/completions", Role.AGENT, json=email).status_code == 200
    invalid = site.request("POST", "/admin/api/policy/install", Role.DPO, content="services: {}\n")
    assert invalid.status_code == 400 and "non installée" in invalid.json()["error"]["message"]


def test_policy_test_shows_the_sent_text_and_an_action_per_type(console_site: Site) -> None:
    body = {
        "service": "rh",
        "model": "demo",
        "text": "Appeler Marie Dubois au 06 12 34 56 78, NIR 1 84 12 76 451 089 46.",
    }
    result = console_site.request("POST", "/admin/api/policy/test", Role.DPO, json=body).json()
    assert result["verdict_label"] == "refusée" and result["sent_text"] is None
    actions = {a["type"]: a["action_label"] for a in result["actions"]}
    assert actions["numéro de sécurité sociale"] == "bloque la requête"
    body["text"] = "Appeler Marie Dubois au 06 12 34 56 78."
    result = console_site.request("POST", "/admin/api/policy/test", Role.DPO, json=body).json()
    assert result["verdict_label"] == "transmise" and "Marie" not in result["sent_text"]
    assert "[PERSONNE_" in result["sent_text"] and "[TELEPHONE_" in result["sent_text"]


def test_keys_are_for_the_policy_s_services_and_privileged_keys_stay_on_the_server(
    console_site: Site,
) -> None:
    site = console_site
    listing = site.request("GET", "/admin/api/keys", Role.ADMIN).json()
    assert {s["id"] for s in listing["services"]} >= {"urbanisme", "rh", "etat-civil"}
    unknown = site.request(
        "POST", "/admin/api/keys", Role.ADMIN, json={"user": "agent.x", "service": "piscine"}
    )
    assert (
        unknown.status_code == 400 and "Service inconnu de la politique" in unknown.json()["error"]["message"]
    )
    rssi = next(k for k in listing["keys"] if k["role"] == "rssi")
    assert rssi["revocable_here"] is False and rssi["created_on"].count("/") == 2
    refused = site.request("DELETE", f"/admin/api/keys/{rssi['id']}", Role.ADMIN)
    assert refused.status_code == 403 and "gardefou keys revoke" in refused.json()["error"]["message"]
    assert site.request("GET", "/admin/api/whoami", Role.RSSI).status_code == 200  # still works
    admin = next(
        k for k in site.request("GET", "/admin/api/keys", Role.ADMIN).json()["keys"] if k["role"] == "admin"
    )
    assert admin["last_used_on"] is not None


def test_every_task_kind_has_a_french_label() -> None:
    assert set(TASK_LABELS) == {str(kind) for kind in TaskKind}
