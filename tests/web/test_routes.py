"""Who may call what: every route declares its roles, and a role x route matrix checks 401/403/2xx
on a real server. The table below is the statement the RSSI can show; the app must match it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from proxy.app import create_app
from proxy.caller import Caller
from proxy.governance.charter_link import LINK_PURPOSE, CharterLinks
from proxy.keystore import KeyStore
from proxy.policy.install import PolicyHistory
from proxy.roles import Role
from proxy.settings import Settings
from proxy.transform.secret import PseudonymSecret
from proxy.web.guards import PUBLIC, RoleGuard
from tests.web.appkit import SERVICE, Site, chat_body

ALL = frozenset(Role)
A, R, D, ADM, F = Role.AGENT, Role.RSSI, Role.DPO, Role.ADMIN, Role.FRONTEND
POLICY_YAML = "version: 1\nservices:\n  urbanisme:\n    models: [demo]\n"

# (method, path template) -> roles allowed; None: public on purpose.
EXPECTED: dict[tuple[str, str], frozenset[Role] | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/readyz"): None,
    ("GET", "/metrics"): frozenset({R, ADM}),
    ("GET", "/admin"): None,  # static shell, no data: everything comes from /admin/api
    ("GET", "/admin/static/{name}"): None,
    ("POST", "/v1/chat/completions"): frozenset({A}),
    ("POST", "/v1/embeddings"): frozenset({A}),
    ("POST", "/v1/responses"): frozenset({A}),
    ("POST", "/v1/completions"): frozenset({A}),
    ("GET", "/v1/models"): frozenset({A, F}),
    ("GET", "/admin/api/whoami"): ALL,
    ("GET", "/admin/api/keys"): frozenset({ADM}),
    ("POST", "/admin/api/keys"): frozenset({ADM}),
    ("DELETE", "/admin/api/keys/{key_id}"): frozenset({ADM}),
    ("GET", "/admin/api/config"): frozenset({ADM}),
    ("GET", "/admin/api/register/entries"): frozenset({R}),
    ("GET", "/admin/api/register/entries/{seq}"): frozenset({R}),
    ("GET", "/admin/api/register/choices"): frozenset({R}),
    ("GET", "/admin/api/register/verify"): frozenset({R}),
    ("GET", "/admin/api/register/export"): frozenset({R}),
    ("GET", "/admin/api/stats"): frozenset({R, D}),
    ("GET", "/admin/api/policy"): frozenset({R, D}),
    ("POST", "/admin/api/policy/validate"): frozenset({D}),
    ("POST", "/admin/api/policy/test"): frozenset({D}),
    ("POST", "/admin/api/policy/review"): frozenset({D}),
    ("POST", "/admin/api/policy/install"): frozenset({D}),
    ("POST", "/admin/api/policy/rollback"): frozenset({D}),
    ("GET", "/admin/api/policy/history"): frozenset({R, D}),
    ("GET", "/charte"): None,  # the charter is no secret; acknowledging it needs the agent's identity
    ("GET", "/charte/static/{name}"): None,
    ("POST", "/charte/acceptation"): frozenset({A}),
    ("POST", "/charte/acceptation-lien"): None,  # public: the signed link's token identifies the agent
    ("GET", "/transparence"): None,  # public on purpose, when the policy publishes it
    ("GET", "/admin/report"): frozenset({R, D}),
}
# Published only when the policy opts in (not the default policy): tested in tests/governance.
OPT_IN = {("GET", "/transparence")}


def guards(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RoleGuard) or dependency.call is PUBLIC:
            yield dependency.call
        yield from guards(dependency)


def declared(app: FastAPI) -> dict[tuple[str, str], frozenset[Role] | None]:
    """Every route the app serves (routers included), with the roles its dependencies declare."""
    table: dict[tuple[str, str], frozenset[Role] | None] = {}
    for route in iter_route_contexts(app.routes):
        assert isinstance(route.original_route, APIRoute), f"route without a role declaration: {route}"
        found = list(guards(route.dependant))
        assert found, f"{route.path} declares no role (RoleGuard) and is not marked PUBLIC"
        roles = {role for guard in found if isinstance(guard, RoleGuard) for role in guard.roles}
        for method in route.methods or ():
            table[(method, str(route.path))] = frozenset(roles) if roles else None
    return table


def test_every_route_declares_its_roles_and_matches_the_table(site: Site) -> None:
    assert declared(create_app(site.settings)) == EXPECTED


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    kwargs: dict[str, Any]


def sample_calls(settings: Settings) -> dict[tuple[str, str], Callable[[], Call]]:
    """A well-formed request for each route (new throwaway key for revocation)."""

    def revoke() -> Call:
        key_id = KeyStore(settings.keys_path).create(user="jetable", service=SERVICE).record.key_id
        return Call("DELETE", f"/admin/api/keys/{key_id}", {})

    def reinstall() -> Call:  # the policy in force, installed again (changes nothing)
        return Call(
            "POST", "/admin/api/policy/install", {"content": settings.policy.read_text(encoding="utf-8")}
        )

    def rollback() -> Call:
        kept = PolicyHistory(settings.data_dir / "policy-history").keep(
            settings.policy.read_text(encoding="utf-8")
        )
        return Call("POST", "/admin/api/policy/rollback", {"json": {"sha256": kept}})

    new_key = {"json": {"user": "agent.nouveau", "service": SERVICE}}
    acknowledgement = {"json": {"version": "2026-01", "sha256": "0" * 64}}
    links = CharterLinks(
        PseudonymSecret.load_or_create(settings.pseudonym_secret_path).derived_key(LINK_PURPOSE)
    )
    by_link = {
        "json": acknowledgement["json"] | {"jeton": links.mint(Caller("agent.lien", SERVICE, via="frontend"))}
    }
    report = {"params": {"service": SERVICE, "from": "2026-01-01", "to": "2026-01-31"}}
    validate = {"content": POLICY_YAML, "headers": {"Content-Type": "text/plain"}}
    test = {"json": {"service": SERVICE, "model": "demo", "text": "Appeler Marie Dubois au 06 12 34 56 78."}}
    return {
        ("GET", "/healthz"): lambda: Call("GET", "/healthz", {}),
        ("GET", "/readyz"): lambda: Call("GET", "/readyz", {}),
        ("GET", "/metrics"): lambda: Call("GET", "/metrics", {}),
        ("GET", "/admin"): lambda: Call("GET", "/admin", {}),
        ("GET", "/admin/static/{name}"): lambda: Call("GET", "/admin/static/admin.js", {}),
        ("POST", "/v1/chat/completions"): lambda: Call("POST", "/v1/chat/completions", {"json": chat_body()}),
        ("POST", "/v1/embeddings"): lambda: Call(
            "POST", "/v1/embeddings", {"json": {"model": "demo", "input": ["Bonjour"]}}
        ),
        ("POST", "/v1/responses"): lambda: Call(
            "POST", "/v1/responses", {"json": {"model": "demo", "input": "Bonjour"}}
        ),
        ("POST", "/v1/completions"): lambda: Call(
            "POST", "/v1/completions", {"json": {"model": "demo", "prompt": "Bonjour"}}
        ),
        ("GET", "/v1/models"): lambda: Call("GET", "/v1/models", {}),
        ("GET", "/admin/api/whoami"): lambda: Call("GET", "/admin/api/whoami", {}),
        ("GET", "/admin/api/keys"): lambda: Call("GET", "/admin/api/keys", {}),
        ("POST", "/admin/api/keys"): lambda: Call("POST", "/admin/api/keys", new_key),
        ("DELETE", "/admin/api/keys/{key_id}"): revoke,
        ("GET", "/admin/api/config"): lambda: Call("GET", "/admin/api/config", {}),
        ("GET", "/admin/api/register/entries"): lambda: Call("GET", "/admin/api/register/entries", {}),
        ("GET", "/admin/api/register/entries/{seq}"): lambda: Call(
            "GET", "/admin/api/register/entries/1", {}
        ),
        ("GET", "/admin/api/register/choices"): lambda: Call("GET", "/admin/api/register/choices", {}),
        ("GET", "/admin/api/register/verify"): lambda: Call("GET", "/admin/api/register/verify", {}),
        ("GET", "/admin/api/register/export"): lambda: Call("GET", "/admin/api/register/export", {}),
        ("GET", "/admin/api/stats"): lambda: Call("GET", "/admin/api/stats", {}),
        ("GET", "/admin/api/policy"): lambda: Call("GET", "/admin/api/policy", {}),
        ("POST", "/admin/api/policy/validate"): lambda: Call("POST", "/admin/api/policy/validate", validate),
        ("POST", "/admin/api/policy/test"): lambda: Call("POST", "/admin/api/policy/test", test),
        ("POST", "/admin/api/policy/review"): lambda: Call("POST", "/admin/api/policy/review", validate),
        ("POST", "/admin/api/policy/install"): reinstall,
        ("POST", "/admin/api/policy/rollback"): rollback,
        ("GET", "/admin/api/policy/history"): lambda: Call("GET", "/admin/api/policy/history", {}),
        ("GET", "/charte"): lambda: Call("GET", "/charte", {}),
        ("GET", "/charte/static/{name}"): lambda: Call("GET", "/charte/static/charte.js", {}),
        ("POST", "/charte/acceptation"): lambda: Call("POST", "/charte/acceptation", acknowledgement),
        ("POST", "/charte/acceptation-lien"): lambda: Call("POST", "/charte/acceptation-lien", by_link),
        ("GET", "/admin/report"): lambda: Call("GET", "/admin/report", report),
    }


CALLERS: list[Role | str | None] = [None, "bad-key", *Role]


def expected_status(allowed: frozenset[Role] | None, caller: Role | str | None) -> str:
    if allowed is None:
        return "ok"
    if not isinstance(caller, Role):
        return "401"
    return "ok" if caller in allowed else "403"


@pytest.mark.parametrize("route", sorted(set(EXPECTED) - OPT_IN), ids=lambda r: f"{r[0]} {r[1]}")
def test_role_matrix(site: Site, route: tuple[str, str]) -> None:
    # The register must exist for the RSSI's routes: one agent call first.
    site.request("POST", "/v1/chat/completions", Role.AGENT, json=chat_body())
    outcomes = {}
    for caller in CALLERS:
        call = sample_calls(site.settings)[route]()
        headers = dict(call.kwargs.get("headers", {}))
        if caller == "bad-key":
            headers["Authorization"] = "Bearer gf_000000000000_" + "x" * 43
        kwargs = {**call.kwargs, "headers": headers}
        role = caller if isinstance(caller, Role) else None
        response = site.request(call.method, call.path, role, **kwargs)
        status = response.status_code
        outcomes[str(caller)] = "ok" if status < 300 else str(status)
        if status >= 400:
            assert response.json()["error"]["message"], response.text  # French OpenAI-style error
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    wanted = {str(caller): expected_status(EXPECTED[route], caller) for caller in CALLERS}
    assert outcomes == wanted


def test_refused_revocation_changes_nothing(site: Site) -> None:
    store = KeyStore(site.settings.keys_path)
    key_id = store.create(user="jetable", service=SERVICE).record.key_id
    for role in (None, Role.AGENT, Role.RSSI, Role.DPO):
        assert site.request("DELETE", f"/admin/api/keys/{key_id}", role).status_code in (401, 403)
    record = store.get(key_id)
    assert record is not None and record.revoked_at is None
