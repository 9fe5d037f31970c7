"""Whether a raw attachment (image, audio, scanned PDF, other) may leave for a hosting class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from proxy.attachments.kinds import RawKind
from proxy.attachments.parts import ATTACHMENT_PART_TYPES
from proxy.errors import DataNotAllowed

if TYPE_CHECKING:
    from proxy.policy.schema import AttachmentRules

_RAW_KINDS = frozenset(RawKind)
_KIND_NAMES = {
    RawKind.IMAGE: "une image",
    RawKind.AUDIO: "un enregistrement audio",
    RawKind.PDF_SCAN: "un PDF sans texte (document scanné)",
    RawKind.OTHER: "un fichier dont le texte ne peut pas être extrait",
}


def raw_allowed(attachments_policy: AttachmentRules, kind: str, hosting: str) -> bool:
    """True when the policy lets this raw kind go, as it is, to a model of this hosting class
    (`local`, `sovereign`, `eu`, `non_eu`). Nothing is allowed unless the policy says so; an
    unknown kind or hosting class is never allowed."""
    if kind not in _RAW_KINDS:
        return False
    return hosting in attachments_policy.raw.get(RawKind(kind), ())


def raw_refusal(part_type: str, kind: str) -> DataNotAllowed:
    """The French 403 for a raw attachment the policy does not let go to the model's hosting."""
    shown = part_type if part_type in ATTACHMENT_PART_TYPES else "inconnu"
    what = _KIND_NAMES.get(RawKind(kind) if kind in _RAW_KINDS else RawKind.OTHER, "ce fichier")
    return DataNotAllowed(
        f"Pièce jointe (partie de type « {shown} ») refusée : {what} ne peut pas être caviardé et la "
        "politique ne permet pas de l'envoyer tel quel à ce modèle."
    )
