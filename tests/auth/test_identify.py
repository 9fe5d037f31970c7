"""Identification: keys, anonymous trials, and SSO headers believed only from the trusted proxy."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from proxy.auth import Identifier
from proxy.errors import Unauthenticated
from proxy.keystore import KeyStore
from proxy.roles import Role
from proxy.settings import AuthSettings

SECRET = "s3cret-partage-mandataire-0123"
GROUPS = {
    "gf-urbanisme": {"service": "urbanisme", "roles": ["agent"]},
    "gf-rh": {"service": "rh", "roles": ["agent"]},
    "gf-rssi": {"roles": ["rssi"]},
    "gf-dpo": {"roles": ["dpo"]},
}


def identifier(tmp_path: Path, secret: str | None = None, **sso: Any) -> Identifier:
    settings = AuthSettings.model_validate({"sso": {"enabled": True, "groups": GROUPS, **sso}})
    return Identifier(settings, KeyStore(tmp_path / "keys.sqlite"), secret)


def sso_headers(user: str = "marie.dubois", groups: str = "gf-urbanisme", **extra: str) -> dict[str, str]:
    return {"X-Forwarded-User": user, "X-Forwarded-Groups": groups, **extra}


def test_sso_from_a_trusted_address_maps_groups_to_service_and_roles(tmp_path: Path) -> None:
    ident = identifier(tmp_path, trusted_proxies=["10.0.0.0/24"])
    caller = ident.identify(sso_headers(groups="autre, gf-rssi,gf-urbanisme"), "10.0.0.7")
    assert (caller.user, caller.service, caller.via) == ("marie.dubois", "urbanisme", "sso")
    assert caller.roles == {Role.AGENT, Role.RSSI}


def test_ipv4_mapped_and_ipv6_peers(tmp_path: Path) -> None:
    ident = identifier(tmp_path, trusted_proxies=["10.0.0.0/24", "fd00::/8"])
    assert ident.identify(sso_headers(), "::ffff:10.0.0.7").via == "sso"
    assert ident.identify(sso_headers(), "fd00::1").via == "sso"
    for peer in ("::ffff:10.0.1.7", "fe80::1", "", None, "pas-une-adresse"):
        with pytest.raises(Unauthenticated):
            ident.identify(sso_headers(), peer)


def test_the_first_group_listed_in_the_config_decides_the_service(tmp_path: Path) -> None:
    ident = identifier(tmp_path, trusted_proxies=["10.0.0.0/24"])
    caller = ident.identify(sso_headers(groups="gf-rh,gf-urbanisme"), "10.0.0.7")
    assert caller.service == "urbanisme"


def test_sso_headers_from_elsewhere_are_ignored_not_believed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ident = identifier(tmp_path, trusted_proxies=["10.0.0.0/24"])
    with caplog.at_level(logging.WARNING), pytest.raises(Unauthenticated):
        ident.identify(sso_headers(groups="gf-rssi"), "192.168.1.20")
    assert "marie.dubois" not in caplog.text


def test_the_shared_secret_alone_or_with_the_address(tmp_path: Path) -> None:
    by_secret = identifier(tmp_path, SECRET, secret_env="GF_SSO")
    ok = by_secret.identify(sso_headers(**{"X-Gardefou-Proxy-Secret": SECRET}), "203.0.113.9")
    assert ok.user == "marie.dubois"
    for wrong in ("", SECRET[:-1], SECRET + "x", SECRET.upper()):
        with pytest.raises(Unauthenticated):
            by_secret.identify(sso_headers(**{"X-Gardefou-Proxy-Secret": wrong}), "203.0.113.9")
    both = identifier(tmp_path, SECRET, secret_env="GF_SSO", trusted_proxies=["10.0.0.1/32"])
    with pytest.raises(Unauthenticated):  # right secret, wrong address
        both.identify(sso_headers(**{"X-Gardefou-Proxy-Secret": SECRET}), "10.0.0.2")


def test_unmapped_groups_give_no_role(tmp_path: Path) -> None:
    ident = identifier(tmp_path, trusted_proxies=["127.0.0.1/32"])
    caller = ident.identify(sso_headers(groups="admins,gf-admin,GF-RSSI"), "127.0.0.1")
    assert caller.roles == frozenset()


@pytest.mark.parametrize("user", ["", "Marie Dubois", "x" * 121, "a;DROP TABLE", "<b>", "a\tb"])
def test_an_sso_user_that_is_not_an_identifier_is_refused(tmp_path: Path, user: str) -> None:
    ident = identifier(tmp_path, trusted_proxies=["127.0.0.1/32"])
    with pytest.raises(Unauthenticated):
        ident.identify(sso_headers(user=user), "127.0.0.1")


def test_sso_needs_an_address_or_a_secret_and_agents_need_a_service() -> None:
    with pytest.raises(ValueError, match="trusted_proxies ou secret_env"):
        AuthSettings.model_validate({"sso": {"enabled": True}})
    with pytest.raises(ValueError, match="service"):
        AuthSettings.model_validate(
            {"sso": {"enabled": True, "secret_env": "X", "groups": {"g": {"roles": ["agent"]}}}}
        )
    with pytest.raises(ValueError):
        AuthSettings.model_validate({"sso": {"trusted_proxies": ["pas-une-adresse"]}})


def test_keys_and_anonymous_mode(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.sqlite")
    key = store.create(user="rssi.ville", service="dsi", role=Role.RSSI)
    strict = Identifier(AuthSettings(), store, None)
    caller = strict.identify({"authorization": f"Bearer {key.secret_key}"}, "127.0.0.1")
    assert caller.roles == {Role.RSSI} and caller.key_id == key.record.key_id
    assert caller.account == f"rssi.ville:{key.record.key_id}"
    with pytest.raises(Unauthenticated):
        strict.identify({}, "127.0.0.1")
    trial = Identifier(AuthSettings(require_api_key=False), store, None)
    anonymous = trial.identify({}, "127.0.0.1")
    assert anonymous.roles == {Role.AGENT} and anonymous.via == "anonymous"
    with pytest.raises(Unauthenticated):  # a wrong key is not silently anonymous
        trial.identify({"authorization": "Bearer gf_000000000000_" + "x" * 43}, "127.0.0.1")
