"""SSO behind a reverse proxy, on a real server: identity headers are believed from the configured
address or with the shared secret only; X-Forwarded-For cannot make a client look like the proxy."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from proxy.analysis.engine import Detector
from proxy.roles import Role
from tests.web.appkit import Site, chat_body, load, running_site

SECRET = "secret-partage-du-mandataire-2026"
GROUPS = {
    "gf-urbanisme": {"service": "urbanisme", "roles": ["agent"]},
    "gf-rssi": {"roles": ["rssi"]},
    "gf-dpo": {"roles": ["dpo"]},
}


def sso_site(
    tmp: pytest.TempPathFactory, upstream_url: str, detector: Detector, name: str, **sso: object
) -> Iterator[Site]:
    config = {"enabled": True, "groups": GROUPS, **sso}
    settings = load(tmp.mktemp(name), upstream_url, auth={"sso": config})
    with running_site(settings, detector) as running:
        yield running


@pytest.fixture(scope="module")
def by_address(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Site]:
    yield from sso_site(
        tmp_path_factory, upstream_url, detector, "sso-addr", trusted_proxies=["127.0.0.1/32"]
    )


@pytest.fixture(scope="module")
def elsewhere(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Site]:
    yield from sso_site(tmp_path_factory, upstream_url, detector, "sso-else", trusted_proxies=["10.0.0.0/8"])


@pytest.fixture(scope="module")
def by_secret(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GARDEFOU_TEST_SSO_SECRET", SECRET)
        yield from sso_site(
            tmp_path_factory, upstream_url, detector, "sso-secret", secret_env="GARDEFOU_TEST_SSO_SECRET"
        )


def identity(user: str, groups: str, **extra: str) -> dict[str, str]:
    return {"X-Forwarded-User": user, "X-Forwarded-Groups": groups, **extra}


def test_an_agent_from_the_trusted_proxy_is_served_and_recorded(by_address: Site) -> None:
    headers = identity("marie.dubois", "gf-urbanisme")
    response = by_address.request("POST", "/v1/chat/completions", headers=headers, json=chat_body())
    assert response.status_code == 200
    rows = by_address.request("GET", "/admin/api/register/entries", Role.RSSI).json()["entries"]
    assert rows[-1]["user"] == "marie.dubois" and rows[-1]["service"] == "urbanisme"


def test_groups_decide_the_roles(by_address: Site) -> None:
    rssi = identity("rssi.ville", "gf-rssi")
    assert by_address.request("GET", "/admin/api/register/verify", headers=rssi).status_code == 200
    assert by_address.request("GET", "/v1/models", headers=rssi).status_code == 403
    assert by_address.request("GET", "/admin/api/keys", headers=rssi).status_code == 403
    me = by_address.request(
        "GET", "/admin/api/whoami", headers=identity("dpo.ville", "gf-dpo,gf-rssi")
    ).json()
    assert me["roles"] == ["dpo", "rssi"] and me["via"] == "sso"
    nobody = identity("curieux", "admins,gf-admin")
    assert by_address.request("GET", "/admin/api/whoami", headers=nobody).status_code == 403


def test_headers_from_an_untrusted_address_are_ignored_even_with_x_forwarded_for(elsewhere: Site) -> None:
    for spoof in (
        {},
        {"X-Forwarded-For": "10.0.0.1"},
        {"X-Real-IP": "10.0.0.1"},
        {"Forwarded": "for=10.0.0.1"},
    ):
        headers = identity("rssi.ville", "gf-rssi", **spoof)
        assert elsewhere.request("GET", "/admin/api/register/verify", headers=headers).status_code == 401
    # keys keep working beside SSO
    assert elsewhere.request("GET", "/admin/api/whoami", Role.RSSI).json()["via"] == "key"


def test_the_shared_secret_is_required_and_compared_exactly(by_secret: Site) -> None:
    good = identity("rssi.ville", "gf-rssi", **{"X-Gardefou-Proxy-Secret": SECRET})
    assert by_secret.request("GET", "/admin/api/whoami", headers=good).status_code == 200
    for wrong in ("", SECRET[:-1], SECRET + " x", SECRET.upper()):
        headers = identity("rssi.ville", "gf-rssi", **{"X-Gardefou-Proxy-Secret": wrong})
        assert by_secret.request("GET", "/admin/api/whoami", headers=headers).status_code == 401
    assert (
        by_secret.request("GET", "/admin/api/whoami", headers=identity("rssi.ville", "gf-rssi")).status_code
        == 401
    )


def test_the_shared_secret_never_shows_in_the_config(by_secret: Site) -> None:
    config = by_secret.request("GET", "/admin/api/config", Role.ADMIN)
    assert config.json()["auth"]["sso"]["secret_env"] == "GARDEFOU_TEST_SSO_SECRET"
    assert SECRET not in config.text


def test_a_form_from_another_site_cannot_act_for_an_sso_user(by_address: Site) -> None:
    agent = identity("marie.dubois", "gf-urbanisme")
    body = json.dumps(chat_body())
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ):
        headers = {**agent, "Content-Type": content_type}
        response = by_address.request("POST", "/v1/chat/completions", headers=headers, content=body)
        assert response.status_code == 403 and "autre site" in response.json()["error"]["message"]
    no_type = by_address.http.build_request("POST", f"{by_address.url}/v1/chat/completions", headers=agent)
    no_type.headers.pop("content-type", None)
    assert by_address.http.send(no_type).status_code == 403
    headers = {**agent, "Content-Type": "application/json"}
    assert (
        by_address.request("POST", "/v1/chat/completions", headers=headers, content=body).status_code == 200
    )
    dpo = identity("dpo.ville", "gf-dpo")
    policy = by_address.request("GET", "/admin/api/policy", headers=dpo).json()["yaml"]
    plain = by_address.request(
        "POST", "/admin/api/policy/validate", headers={**dpo, "Content-Type": "text/plain"}, content=policy
    )
    assert plain.status_code == 403
    yaml_type = {**dpo, "Content-Type": "application/yaml"}
    assert by_address.request("POST", "/admin/api/policy/validate", headers=yaml_type, content=policy).json()[
        "valid"
    ]


def test_identity_headers_grant_nothing_when_sso_is_off(site: Site) -> None:
    forged = identity("admin", "gf-rssi,admins", **{"X-Gardefou-Proxy-Secret": SECRET})
    assert site.request("GET", "/admin/api/whoami", headers=forged).status_code == 401
    with_key = site.request("GET", "/admin/api/whoami", Role.AGENT, headers=forged).json()
    assert with_key["roles"] == ["agent"] and with_key["via"] == "key"
    assert site.request("GET", "/admin/api/register/verify", Role.AGENT, headers=forged).status_code == 403
