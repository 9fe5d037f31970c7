"""Who may do what: the five roles, and which of them may be granted over HTTP.

A role is a set of routes, not a rank in a hierarchy: an admin manages keys and reads the
configuration but does not read the register (that is the RSSI's) nor call models (agents').
"""

from __future__ import annotations

import re
from enum import StrEnum

# Identifiers that end up in the register (user, service): no spaces, no markup, bounded.
IDENTIFIER = re.compile(r"^[\w.@+\-]{1,120}$")


class Role(StrEnum):
    AGENT = "agent"  # the OpenAI-compatible API (/v1)
    RSSI = "rssi"  # read, verify and export the register; statistics with identities
    DPO = "dpo"  # read, validate and test policies; statistics without identities
    ADMIN = "admin"  # API keys, configuration
    FRONTEND = "frontend"  # a chat front-end (Open WebUI, LibreChat) that speaks for the agents it names

    @property
    def label(self) -> str:
        """French description, for CLI output and the admin pages."""
        return _LABELS[self]


_LABELS = {
    Role.AGENT: "agent (API OpenAI)",
    Role.RSSI: "RSSI (registre : lecture, vérification, export, statistiques)",
    Role.DPO: "DPO (politiques : lecture, validation, test ; statistiques anonymes)",
    Role.ADMIN: "administrateur (clés d'API, configuration)",
    Role.FRONTEND: "frontal de discussion (parle au nom des agents qu'il identifie)",
}

# Over HTTP, an admin may only hand out agent keys; rssi/dpo/admin keys are created on the host
# (`gardefou keys create`): access to the server's files is what makes someone an administrator.
HTTP_GRANTABLE = frozenset({Role.AGENT})


def may_grant_over_http(granter: frozenset[Role], role: Role) -> bool:
    """Whether a caller holding `granter` may create a key with `role` through the admin API."""
    return Role.ADMIN in granter and role in HTTP_GRANTABLE


def is_identifier(text: str) -> bool:
    return bool(IDENTIFIER.match(text))
