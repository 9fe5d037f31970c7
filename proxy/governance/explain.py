"""The governance section in plain French, for `gardefou policy explain`."""

from __future__ import annotations

from collections.abc import Iterator

from proxy.policy.schema import Policy, UseAction


def governance_lines(policy: Policy) -> Iterator[str]:
    governance = policy.governance
    yield "Charte, mention IA et transparence :"
    charter = governance.charter
    if charter is None:
        yield "  - aucune charte à accepter"
    else:
        yield f"  - charte « {charter.file} », version {charter.version} : chaque agent l'accepte sur /charte"
    services = ", ".join(governance.notice.services)
    if services:
        yield f"  - mention « texte rédigé avec l'aide d'une IA » sur chaque réponse de : {services}"
    notices = [rule.description for rule in policy.uses.values() if rule.action is UseAction.NOTICE]
    for description in notices:
        yield f"  - mention « texte rédigé avec l'aide d'une IA » quand la demande vise à {description}"
    if governance.human_control.in_answer:
        yield "  - rappel du contrôle humain montré à l'agent dans la réponse (domaines évalués)"
    published = "publiée" if governance.transparency.enabled else "non publiée"
    yield f"  - page publique /transparence : {published}"
