"""The pure policy core: `plan` before detection, `decide` after. No I/O, same path for every endpoint.

plan:   is this model in the caller's catalogue? is the input too long? which action and threshold per
        entity type, which lists, which max_tokens? (per-minute quotas: proxy/policy/quotas.py feeds
        the rate limiter, which counts before the pipeline runs)
decide: which findings count, is any blocked, which data categories are present and may they go to
        the requested model's hosting (else re-route or refuse), which forbidden uses are asked for?
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from proxy.analysis.findings import Finding
from proxy.analysis.lists import DENY_RECOGNIZER, apply_lists
from proxy.caller import Caller
from proxy.entities import EntityType
from proxy.errors import ModelNotFound
from proxy.policy import messages
from proxy.policy.records import Plan, PolicyDecision, Refusal, RefusalKind, RequestFacts, Verdict
from proxy.policy.rulebook import NO_SERVICE, CategoryMatcher, Rulebook, UseMatcher
from proxy.policy.schema import Action, Lists, OnViolation, Policy, RuleMode, UseAction

CHAT = "chat.completions"
EMBEDDINGS = "embeddings"
UNKNOWN_MODEL = "(inconnu)"  # what is recorded and shown for a model the configuration does not name


def allowed_models(
    policy: Policy, service: str, user: str = "", roles: Iterable[str] = ()
) -> tuple[str, ...]:
    """The caller's catalogue: the service's models, plus those granted to the user or a role."""
    rules = policy.services.get(service)
    if rules is None:
        return ()
    grants = [grant for name, grant in policy.roles.items() if name in set(roles)]
    grants += [policy.users[user]] if user in policy.users else []
    extra = [grant.models for grant in grants]
    return tuple(dict.fromkeys([*rules.models, *(m for models in extra for m in models)]))


def plan(rulebook: Rulebook, caller: Caller, facts: RequestFacts) -> Plan:
    policy = rulebook.policy
    service = policy.services.get(caller.service, NO_SERVICE)
    limits = service.limits.over(policy.defaults.limits)
    rules: list[str] = []
    refusal = _admission(rulebook, caller, facts, limits.max_input_chars, rules)
    max_tokens = _max_tokens(facts, limits.max_tokens, rules)
    return Plan(
        rulebook=rulebook,
        service=caller.service,
        facts=facts,
        actions=rulebook.actions_for(caller.service),
        thresholds=rulebook.thresholds_for(caller.service),
        observed_actions=rulebook.observed_for(caller.service),
        lists=Lists(
            allow=(*policy.defaults.lists.allow, *service.lists.allow),
            deny=(*policy.defaults.lists.deny, *service.lists.deny),
        ),
        max_tokens=max_tokens,
        rules=tuple(rules),
        refusal=refusal,
    )


def _admission(
    rulebook: Rulebook, caller: Caller, facts: RequestFacts, max_chars: int | None, rules: list[str]
) -> Refusal | None:
    policy = rulebook.policy
    if facts.model not in allowed_models(policy, caller.service, caller.user, caller.roles):
        rules.append("model.not_allowed")
        message = messages.model_not_allowed(known_model(rulebook, facts.model), caller.service)
        return Refusal(RefusalKind.MODEL_NOT_ALLOWED, message)
    if max_chars is not None and facts.input_chars > max_chars:
        rules.append("limit.max_input_chars")
        message = messages.payload_too_large(facts.input_chars, max_chars)
        return Refusal(RefusalKind.PAYLOAD_TOO_LARGE, message)
    return None


def _max_tokens(facts: RequestFacts, limit: int | None, rules: list[str]) -> int | None:
    if limit is None or facts.endpoint == EMBEDDINGS:
        return None
    if facts.max_tokens is not None and facts.max_tokens > limit:
        rules.append("limit.max_tokens")
    return limit if facts.max_tokens is None else min(facts.max_tokens, limit)


def decide(plan: Plan, texts: Sequence[str], findings: Sequence[Sequence[Finding]]) -> PolicyDecision:
    """The decision for a planned request, given every text it carries and what detection found."""
    rules = list(plan.rules)
    kept = tuple(_screen(plan, text, found, rules) for text, found in zip(texts, findings, strict=True))
    found = {finding.entity for row in kept for finding in row}
    keywords, asked = text_matches(plan, texts)
    categories = _categories(plan.rulebook, keywords, found, rules)
    model, verdict, route_refusal = _route(plan, categories, rules)
    observed = (*_observed(plan, asked), *_observed_entities(plan, found))
    uses = _uses(plan, asked, rules)
    refusal = plan.refusal or _blocked(plan, found, rules) or _use_refusal(plan, uses) or route_refusal
    warned = [m for m in uses if _use_action(plan, m) is UseAction.WARN]
    return PolicyDecision(
        verdict=Verdict.REFUSE if refusal else verdict,
        requested_model=plan.model,
        model=model,
        findings=kept,
        actions=plan.actions,
        categories=tuple(c.id for c in categories),
        uses=tuple(m.id for m in uses),
        reminder=messages.reminder(warned) if warned else None,
        max_tokens=plan.max_tokens,
        rules=tuple(dict.fromkeys(rules)),
        refusal=refusal,
        observed=observed,
    )


def text_matches(plan: Plan, texts: Sequence[str]) -> tuple[set[str], set[str]]:
    """The categories whose keywords the texts hold, and the forbidden uses the instructions ask
    for (remembered per text, see `TextMatches`)."""
    book = plan.rulebook
    instructions = plan.facts.instructions if book.uses else ()
    return book.matches.found(texts if book.categories else (), instructions)


def _screen(plan: Plan, text: str, found: Sequence[Finding], rules: list[str]) -> tuple[Finding, ...]:
    """Findings over their threshold, after the allow-list and the deny-list."""
    scored = [f for f in found if f.score >= plan.thresholds[f.entity]]
    if not plan.lists.allow and not plan.lists.deny:
        return tuple(scored)
    allowed = apply_lists(text, scored, plan.lists.allow, ())
    if len(allowed) < len(scored):
        rules.append("list.allow")
    listed = apply_lists(text, allowed, (), plan.lists.deny)
    if any(f.recognizer == DENY_RECOGNIZER for f in listed):
        rules.append("list.deny")
    return tuple(listed)


def _blocked(plan: Plan, found: set[EntityType], rules: list[str]) -> Refusal | None:
    blocked = sorted(entity for entity in found if plan.actions[entity] is Action.BLOCK)
    rules.extend(f"entity.{entity}.block" for entity in blocked)
    if not blocked:
        return None
    return Refusal(RefusalKind.PERSONAL_DATA_BLOCKED, messages.personal_data_blocked(blocked))


def _categories(
    rulebook: Rulebook, keyword_categories: set[str], found: set[EntityType], rules: list[str]
) -> list[CategoryMatcher]:
    present = [matcher for matcher in rulebook.categories if matcher.present(found, keyword_categories)]
    rules.extend(f"category.{matcher.id}" for matcher in present)
    return present


def _route(
    plan: Plan, categories: list[CategoryMatcher], rules: list[str]
) -> tuple[str, Verdict, Refusal | None]:
    """Keep the requested model if its hosting accepts every category present, else re-route or refuse."""
    hosting = plan.rulebook.hosting
    if all(c.accepts(hosting.get(plan.model)) for c in categories):
        return plan.model, Verdict.FORWARD, None
    service = plan.rulebook.policy.services.get(plan.service, NO_SERVICE)
    on_violation = service.on_violation or plan.rulebook.policy.defaults.on_violation
    if on_violation is OnViolation.REROUTE:
        for fallback in service.fallback_models:
            if all(c.accepts(hosting.get(fallback)) for c in categories):
                rules.append("route.reroute")
                return fallback, Verdict.REROUTE, None
    rules.append("route.refuse")
    refused = [c for c in categories if not c.accepts(hosting.get(plan.model))]
    message = messages.data_not_allowed(plan.model, hosting.get(plan.model), refused)
    return plan.model, Verdict.REFUSE, Refusal(RefusalKind.DATA_NOT_ALLOWED, message)


def _uses(plan: Plan, used: set[str], rules: list[str]) -> list[UseMatcher]:
    if not plan.rulebook.uses or not plan.facts.instructions:
        return []
    asked = [m for m in plan.rulebook.uses if m.id in used and m.rule.mode is RuleMode.ENFORCE]
    rules.extend(f"use.{matcher.id}.{_use_action(plan, matcher)}" for matcher in asked)
    return asked


def _observed(plan: Plan, used: set[str]) -> tuple[str, ...]:
    """What the observe-mode rules asked for would have done: recorded, never acted upon."""
    if not plan.rulebook.uses or not plan.facts.instructions:
        return ()
    asked = [m for m in plan.rulebook.uses if m.id in used and m.rule.mode is RuleMode.OBSERVE]
    return tuple(f"use.{matcher.id}.{_use_action(plan, matcher)}" for matcher in asked)


def _observed_entities(plan: Plan, found: set[EntityType]) -> tuple[str, ...]:
    """What observe-mode entity rules would have done with the types found ("entity.NIR.block")."""
    return tuple(f"entity.{e}.{a}" for e, a in sorted(plan.observed_actions.items()) if e in found)


def _use_action(plan: Plan, matcher: UseMatcher) -> UseAction:
    """A service's own setting wins; an assessed Annex III area turns a block into a reminder."""
    service = plan.rulebook.policy.services.get(plan.service, NO_SERVICE)
    if matcher.id in service.uses:
        return service.uses[matcher.id]
    if matcher.rule.area is not None and matcher.rule.area in service.assessed_areas:
        return UseAction.WARN
    return matcher.rule.action


def _use_refusal(plan: Plan, uses: list[UseMatcher]) -> Refusal | None:
    blocking = next((m for m in uses if _use_action(plan, m) is UseAction.BLOCK), None)
    if blocking is None:
        return None
    service = plan.rulebook.policy.services.get(plan.service, NO_SERVICE)
    closed = blocking.rule.area is not None and blocking.rule.area not in service.assessed_areas
    message = messages.forbidden_use(blocking, plan.service, closed)
    return Refusal(RefusalKind.FORBIDDEN_USE, message)


def known_model(rulebook: Rulebook, model: str) -> str:
    """`model` if the configuration or the policy names it, else UNKNOWN_MODEL: a value the agent made
    up (an e-mail address, a name) is never echoed in a message nor written to the register."""
    policy = rulebook.policy
    named = model in rulebook.hosting or any(model in rules.models for rules in policy.services.values())
    grants = [*policy.roles.values(), *policy.users.values()]
    return model if named or any(model in grant.models for grant in grants) else UNKNOWN_MODEL


def model_unavailable(model: str) -> ModelNotFound:
    """The policy allows a model that no configured upstream serves."""
    return ModelNotFound(f"Le modèle « {model} » est autorisé mais aucun serveur configuré ne le fournit.")
