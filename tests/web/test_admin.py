"""The admin API on a real server: keys (agent keys only over HTTP), register, statistics, policy."""

from __future__ import annotations

import csv
import io
import json

from proxy.entities import Entity
from proxy.keystore import KeyStore
from proxy.roles import Role
from tests.web.appkit import SERVICE, Site, chat_body


def test_whoami_says_who_and_which_roles(site: Site) -> None:
    for role in Role:
        me = site.request("GET", "/admin/api/whoami", role).json()
        assert me["roles"] == [role] and me["user"] == f"compte.{role}" and me["via"] == "key"


def test_an_admin_hands_out_agent_keys_that_work_and_can_be_revoked(site: Site) -> None:
    created = site.request(
        "POST", "/admin/api/keys", Role.ADMIN, json={"user": "agent.neuf", "service": SERVICE}
    )
    assert created.status_code == 201
    view = created.json()
    assert view["role"] == "agent" and view["state"] == "active"
    agent = {"Authorization": f"Bearer {view['key']}"}
    assert site.request("GET", "/v1/models", headers=agent).status_code == 200
    listing = site.request("GET", "/admin/api/keys", Role.ADMIN).json()["keys"]
    assert view["id"] in {k["id"] for k in listing}
    assert view["key"] not in json.dumps(listing)  # the secret is shown once, at creation
    assert site.request("DELETE", f"/admin/api/keys/{view['id']}", Role.ADMIN).status_code == 200
    assert site.request("GET", "/v1/models", headers=agent).status_code == 401
    assert site.request("DELETE", f"/admin/api/keys/{view['id']}", Role.ADMIN).status_code == 404


def test_no_http_route_creates_a_key_broader_than_agent(site: Site) -> None:
    store = KeyStore(site.settings.keys_path)
    before = store.list()
    for role in (Role.ADMIN, Role.RSSI, Role.DPO):
        body = {"user": "pirate", "service": SERVICE, "role": role}
        response = site.request("POST", "/admin/api/keys", Role.ADMIN, json=body)
        assert response.status_code == 403
        assert "ligne de commande" in response.json()["error"]["message"]
    for extra in ({"roles": ["admin"]}, {"role": "superadmin"}, {"is_admin": True}):
        body = {"user": "pirate", "service": SERVICE, **extra}
        assert site.request("POST", "/admin/api/keys", Role.ADMIN, json=body).status_code == 400
    assert store.list() == before


def test_bad_key_requests_are_french_400s(site: Site) -> None:
    for body in (
        {"user": "Marie Dubois", "service": SERVICE},
        {"user": "a", "service": SERVICE, "expires": "2001-01-01"},
    ):
        response = site.request("POST", "/admin/api/keys", Role.ADMIN, json=body)
        assert response.status_code == 400 and response.json()["error"]["message"]


def test_the_rssi_reads_verifies_and_exports_the_register(site: Site) -> None:
    assert site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body()).status_code == 200
    entries = site.request("GET", "/admin/api/register/entries", Role.RSSI, params={"service": SERVICE})
    rows = entries.json()["entries"]
    assert rows and rows[-1]["user"].startswith("compte.agent:") and rows[-1]["service"] == SERVICE
    verify = site.request("GET", "/admin/api/register/verify", Role.RSSI).json()
    assert verify["ok"] is True and verify["rows"] >= len(rows)
    export = site.request("GET", "/admin/api/register/export", Role.RSSI)
    assert export.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert len(table) == verify["rows"]
    jsonl = site.request("GET", "/admin/api/register/export", Role.RSSI, params={"fmt": "jsonl"})
    assert len(jsonl.text.strip().splitlines()) == verify["rows"]


def test_statistics_never_name_a_user_and_cannot_be_filtered_by_user(site: Site) -> None:
    site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body())
    for role in (Role.RSSI, Role.DPO):
        stats = site.request("GET", "/admin/api/stats", role)
        assert stats.status_code == 200
        assert stats.json()["par_service"][SERVICE]["usages"] >= 1
        assert "compte.agent" not in stats.text
        by_user = site.request("GET", "/admin/api/stats", role, params={"user": "compte.agent"})
        assert by_user.status_code == 400


def test_the_dpo_reads_validates_and_tests_policies(site: Site) -> None:
    current = site.request("GET", "/admin/api/policy", Role.DPO).json()
    assert len(current["sha256"]) == 64 and "services:" in current["yaml"]
    ok = site.request("POST", "/admin/api/policy/validate", Role.DPO, content=current["yaml"]).json()
    assert ok == {"valid": True, "sha256": current["sha256"], "problems": []}
    typo = current["yaml"].replace("services:", "servcies:", 1)
    bad = site.request("POST", "/admin/api/policy/validate", Role.DPO, content=typo).json()
    assert bad["valid"] is False and any("servcies" in p and "ligne" in p for p in bad["problems"])
    assert site.request("GET", "/admin/api/policy", Role.DPO).json()["sha256"] == current["sha256"]
    test = {"service": SERVICE, "model": "demo", "text": "Rappeler Marie Dubois au 06 12 34 56 78."}
    result = site.request("POST", "/admin/api/policy/test", Role.DPO, json=test).json()
    assert {Entity.PERSON, Entity.PHONE} <= {Entity(f["entity"]) for f in result["findings"]}
    assert result["verdict"] and "Marie" not in json.dumps(result)
