"""Signed links to /charte for agents named by a front-end (Open WebUI, LibreChat...).

Such an agent has no key of their own and no single sign-on in front of /charte: the refusal shown
in their chat carries a link with an opaque token that lets exactly that agent acknowledge the
charter, for a short while. The token is the agent's identity (user, service, front-end) and an
expiry, encrypted and authenticated with AES-GCM under a key used for nothing else (derived from the
server's secret: proxy/transform/secret.py), so the URL shows no personal data and cannot be forged
or altered; every instance sharing the secret accepts it. It only ever serves to acknowledge the
charter (the key and the associated data are this purpose's); anyone holding it within its lifetime
could acknowledge in that agent's name, which is all it allows.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from proxy.caller import Caller
from proxy.errors import Forbidden

LINK_PURPOSE = "charter-link"
LINK_PARAMETER = "jeton"
LINK_LIFETIME_S = 30 * 60
_AAD = b"gardefou/charter-link/v1"
_NONCE_BYTES = 12


class InvalidCharterLink(Forbidden):
    code = "charter_link_invalid"


class CharterLinks:
    """Mints and reads the tokens of the charter links (see the module docstring)."""

    def __init__(self, key: bytes, lifetime_s: int = LINK_LIFETIME_S) -> None:
        self._aead = AESGCM(key)
        self._lifetime_s = lifetime_s

    def mint(self, caller: Caller, now: float | None = None) -> str:
        expiry = int(now if now is not None else time.time()) + self._lifetime_s
        claims = {"u": caller.user, "s": caller.service, "f": caller.frontend, "exp": expiry}
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, json.dumps(claims, separators=(",", ":")).encode(), _AAD)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def read(self, token: str) -> Caller:
        """The agent the token names; InvalidCharterLink (403) if it is altered, foreign or expired."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            claims = json.loads(self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _AAD))
        except (binascii.Error, ValueError, InvalidTag) as error:
            raise InvalidCharterLink(_INVALID) from error
        if not isinstance(claims, dict) or int(claims.get("exp", 0)) < time.time():
            raise InvalidCharterLink(_EXPIRED)
        return Caller(
            user=str(claims["u"]), service=str(claims["s"]), via="frontend", frontend=claims.get("f")
        )


_INVALID = "Ce lien d'acceptation de la charte n'est pas valide : relancez votre demande dans la discussion."
_EXPIRED = (
    "Ce lien d'acceptation de la charte a expiré : relancez votre demande dans la discussion pour en "
    "recevoir un nouveau."
)
