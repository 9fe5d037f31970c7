"""What changes between the policy in force and a candidate, before the DPO installs it: the text
(a diff) and the decisions (sample texts for every service, and the policy's own test cases).

Both policies run through the same `simulate` as the proxy and `policy test`; each text is analysed
once (the detector's findings do not depend on the policy), so a review costs one analysis per text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import Field

from proxy.analysis.findings import Finding
from proxy.config_file import ConfigFileError, load_model
from proxy.policy.cases import Case, CaseFile, compare
from proxy.policy.loader import LoadedPolicy
from proxy.policy.schema import Strict
from proxy.policy.simulate import Detects, Simulation, caller_for, simulate


class Sample(Strict):
    name: str = Field(min_length=1)
    text: str = Field(min_length=1)


class SampleFile(Strict):
    samples: tuple[Sample, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a policy decides for one text: verdict, model, rules, action per data type found."""

    verdict: str
    model: str
    rules: tuple[str, ...]
    actions: tuple[tuple[str, str], ...]  # (entity id, action), sorted

    @classmethod
    def of(cls, simulation: Simulation) -> Outcome:
        decision = simulation.decision
        actions = {(str(e), str(decision.actions[e])) for e in simulation.entities()} if decision else set()
        rules = tuple(sorted(simulation.rules))
        return cls(simulation.verdict, simulation.model, rules, tuple(sorted(actions)))


@dataclass(frozen=True, slots=True)
class Change:
    source: str  # "exemple" or "cas"
    name: str
    service: str
    model: str
    before: Outcome | None  # None: the service or the case is new
    after: Outcome | None  # None: the service is gone
    problems: tuple[str, ...] = ()  # a case's expectations the candidate no longer meets


@dataclass(slots=True)
class CachedDetector:
    """The detector's findings remembered per text, for the length of one review."""

    detector: Detects
    known: dict[str, list[Finding]] = field(default_factory=dict)

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        missing = [text for text in dict.fromkeys(texts) if text not in self.known]
        if missing:
            self.known.update(zip(missing, self.detector.detect(missing), strict=True))
        return [self.known[text] for text in texts]


def text_diff(before: str, after: str) -> list[str]:
    """A unified diff of the two texts (lines starting with '+', '-', ' ' or '@@')."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "en vigueur", "nouvelle", n=2, lineterm=""
    )
    return list(lines)[2:]


def load_samples(path: Path) -> tuple[Sample, ...]:
    if not path.exists():
        return ()
    return load_model(path, SampleFile)[0].samples


def load_cases(directory: Path) -> list[Case]:
    """The cases of every case file in `directory` (policies/cases/ beside the policy file)."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else ():
        try:
            cases += load_model(path, CaseFile)[0].cases
        except ConfigFileError:
            continue  # a broken case file is `gardefou policy test --cases`'s to report
    return cases


def review(
    current: LoadedPolicy,
    candidate: LoadedPolicy,
    detector: Detects,
    samples: Iterable[Sample],
    cases: Iterable[Case],
) -> list[Change]:
    """Every sample (for every service) and every case whose outcome differs between the policies,
    and every case whose expectations the candidate no longer meets."""
    cached = CachedDetector(detector)
    changes = [c for c in _sample_changes(current, candidate, cached, tuple(samples)) if c.before != c.after]
    for case in cases:
        before = _run(current, cached, case.service, case.model, case.text, case)
        after = _run(candidate, cached, case.service, case.model, case.text, case)
        problems = tuple(compare(case.expect, after)) if after else ("service absent de la politique",)
        if _outcome(before) != _outcome(after) or problems:
            changes.append(_change("cas", case.name, case.service, case.model, before, after, problems))
    return changes


def _sample_changes(
    current: LoadedPolicy, candidate: LoadedPolicy, detector: Detects, samples: tuple[Sample, ...]
) -> Iterable[Change]:
    services = dict.fromkeys([*current.policy.services, *candidate.policy.services])
    for service in services:
        model = _first_model(candidate, service) or _first_model(current, service) or ""
        for sample in samples:
            before = _run(current, detector, service, model, sample.text)
            after = _run(candidate, detector, service, model, sample.text)
            yield _change("exemple", sample.name, service, model, before, after, ())


def _change(
    source: str,
    name: str,
    service: str,
    model: str,
    before: Simulation | None,
    after: Simulation | None,
    problems: tuple[str, ...],
) -> Change:
    return Change(source, name, service, model, _outcome(before), _outcome(after), problems)


def _outcome(simulation: Simulation | None) -> Outcome | None:
    return Outcome.of(simulation) if simulation is not None else None


def _first_model(loaded: LoadedPolicy, service: str) -> str | None:
    found = loaded.policy.services.get(service)
    return found.models[0] if found else None


def _run(
    loaded: LoadedPolicy, detector: Detects, service: str, model: str, text: str, case: Case | None = None
) -> Simulation | None:
    if service not in loaded.policy.services:
        return None
    caller = caller_for(service, case.user, case.roles) if case else caller_for(service)
    return simulate(loaded.rulebook, detector, caller, model, text, case.system if case else None)
