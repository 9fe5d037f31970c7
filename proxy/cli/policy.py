"""`gardefou policy`: check, test, explain and export the policy (the DPO's tools).

gardefou policy check [FICHIER]                   exit 1 with file, line and key on any problem
gardefou policy test --service S --model M "texte"  what the proxy would do, without calling a model
gardefou policy test --cases [FICHIER...]         run the example cases (policies/cases/*.yaml)
gardefou policy explain [FICHIER]                 the policy in plain French
gardefou policy schema [--output FICHIER]         JSON Schema of policy files (for editors)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from proxy.analysis.config import load_detection_config
from proxy.cli.common import config_option, settings_or_exit
from proxy.config_file import ConfigFileError
from proxy.errors import GardefouError
from proxy.policy.cases import CaseResult, run_file
from proxy.policy.checks import PolicyContext
from proxy.policy.explain import ACTION_LABELS, explain
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.policy.schema import json_schema
from proxy.policy.simulate import Detects, Simulation, caller_for, simulate
from proxy.policy.use_model import use_model
from proxy.roles import Role
from proxy.settings import Settings
from proxy.transform.secret import PseudonymSecret


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "policy",
        help="vérifier, tester, expliquer la politique",
        description="Outils du DPO : vérifier, tester, expliquer la politique.",
    )
    commands = parser.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    parent = config_option()
    check = commands.add_parser("check", parents=[parent], help="valider un fichier de politique")
    check.add_argument("file", nargs="?", type=Path, help="politique (défaut : celle de la configuration)")
    check.set_defaults(func=run_check)
    _add_test(commands, parent)
    explain_parser = commands.add_parser("explain", parents=[parent], help="la politique en français")
    explain_parser.add_argument("file", nargs="?", type=Path, help="politique (défaut : la configuration)")
    explain_parser.set_defaults(func=run_explain)
    schema = commands.add_parser("schema", help="schéma JSON des fichiers de politique")
    schema.add_argument("--output", type=Path, help="fichier à écrire (défaut : sortie standard)")
    schema.set_defaults(func=run_schema)


def _add_test(commands: Any, parent: argparse.ArgumentParser) -> None:
    test = commands.add_parser(
        "test", parents=[parent], help="ce que ferait le proxy d'un texte, ou les cas d'exemple"
    )
    test.add_argument("text", nargs="?", help="texte de la demande (entre guillemets)")
    test.add_argument("--service", help="service de l'agent")
    test.add_argument("--model", help="modèle demandé")
    test.add_argument("--user", default="dpo.test", help="identifiant de l'agent (défaut : dpo.test)")
    test.add_argument("--role", action="append", default=[], choices=[r.value for r in Role])
    test.add_argument("--system", help="message système (consignes) envoyé avec la demande")
    test.add_argument("--policy", type=Path, help="politique (défaut : celle de la configuration)")
    test.add_argument("--cases", nargs="*", type=Path, metavar="FICHIER", help="fichiers de cas à jouer")
    test.set_defaults(func=run_test)


def _context(settings: Settings, detector: Any) -> PolicyContext:
    """The served models and, from the real detector, the entity types it recognises."""
    return PolicyContext.of(settings, detector.active_entities)


def _load(path: Path, context: PolicyContext | None) -> LoadedPolicy:
    try:
        return load_policy(path, context)
    except ConfigFileError as error:
        print(f"Politique invalide : {error}", file=sys.stderr)
        raise SystemExit(1) from None


def run_check(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config)
    path = args.file or settings.policy
    _load(path, None)  # the file itself first: a typo is reported without loading the detector
    loaded = _load(path, _context(settings, _detector(settings)))
    policy = loaded.policy
    print(f"Politique valide : {path}")
    print(f"  empreinte sha256 : {loaded.sha256}")
    print(
        f"  {len(policy.services)} service(s), {len(policy.categories)} catégorie(s) de données, "
        f"{len(policy.uses)} règle(s) d'usage"
    )
    return 0


def run_explain(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config)
    loaded = _load(args.file or settings.policy, None)  # `check` does the checks against the proxy
    print("\n".join(explain(loaded.policy, PolicyContext.of(settings, frozenset()).hosting)))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Schéma écrit dans {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _detector(settings: Settings) -> Any:
    # Imported here: loading spaCy is only needed by the commands that detect.
    from proxy.analysis.engine import DetectionError, Detector

    try:
        return Detector(load_detection_config(settings.models_dir))
    except (DetectionError, ValueError) as error:
        print(f"Détecteur indisponible : {error}", file=sys.stderr)
        raise SystemExit(2) from None


def run_test(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config)
    if args.cases is not None:
        files = args.cases or sorted((settings.policy.parent / "cases").glob("*.yaml"))
        return _run_cases(settings, files)
    if not (args.text and args.service and args.model):
        print("Indiquez --service, --model et le texte (ou --cases).", file=sys.stderr)
        return 2
    detector = _detector(settings)
    loaded = _load(args.policy or settings.policy, _context(settings, detector))
    caller = caller_for(args.service, args.user, [Role(r) for r in args.role])
    try:
        result = simulate(
            loaded.rulebook, detector, caller, args.model, args.text, args.system, _key(settings, args.user)
        )
    except GardefouError as error:
        print(f"Requête invalide : {error.message}", file=sys.stderr)
        return 2
    print("\n".join(describe(result)))
    return 0


def _key(settings: Settings, user: str) -> bytes | None:
    """The proxy's own pseudonym key for `user` when the server's secret exists (same placeholders as
    the proxy); else None (a random key: the same text, other numbers)."""
    path = settings.pseudonym_secret_path
    return PseudonymSecret.load_or_create(path).key_for(user) if path.exists() else None


def describe(result: Simulation) -> list[str]:
    """The simulation as the DPO reads it: detections, action per entity, categories, uses, route."""
    lines = ["Données détectées :"]
    found = result.found()
    for finding in found:
        action = ACTION_LABELS[result.plan.actions[finding.entity]]
        value = result.text[finding.start : finding.end] if finding.end <= len(result.text) else "…"
        lines.append(
            f"  - {finding.entity} « {value} » (score {finding.score:.2f}, {finding.recognizer}) : {action}"
        )
    if not found:
        lines.append("  (aucune)")
    decision = result.decision
    if decision is not None:
        lines.append(f"Catégories : {', '.join(decision.categories) or '(aucune)'}")
        lines.append(f"Usages reconnus : {', '.join(decision.uses) or '(aucun)'}")
        lines.extend(_model_reading(result))
        if decision.reminder:
            lines.append(f"Rappel ajouté aux consignes : {decision.reminder}")
    lines.append(f"Règles déclenchées : {', '.join(result.rules) or '(aucune)'}")
    lines.extend(_observed(result))
    lines.append(_verdict(result))
    if result.refusal is None:
        lines.append(f"Texte envoyé au modèle : {result.redacted}")
    return lines


def _model_reading(result: Simulation) -> list[str]:
    """The forbidden-use model's probability per family, when a rule of the policy relies on it."""
    if not any(use.rule.model for use in result.plan.rulebook.uses):
        return []
    model = use_model()
    probabilities = model.probabilities(result.text)
    shown = " · ".join(f"{family} {probabilities[family]:.2f}" for family in model.families)
    return [f"Modèle d'usages interdits : {shown} (seuil {model.threshold:.2f})".replace(".", ",")]


_WOULD = {
    "block": "aurait refusé la demande",
    "warn": "aurait ajouté un rappel aux consignes",
    "mask": "aurait masqué la donnée",
    "pseudonymise": "aurait pseudonymisé la donnée",
    "allow": "aurait laissé la donnée en clair",
}


def _observed(result: Simulation) -> list[str]:
    """Rules in observe mode: what each would have done, had it been enforced (it did nothing)."""
    observed = result.decision.observed if result.decision is not None else ()
    if not observed:
        return []
    lines = ["Règles en observation (sans effet sur cette demande) :"]
    for rule in observed:
        action = rule.rsplit(".", 1)[-1]
        lines.append(f"  - {rule} : {_WOULD.get(action, action)} si elle était appliquée (mode: enforce)")
    return lines


def _verdict(result: Simulation) -> str:
    if result.refusal is not None:
        return f"Décision : REFUSÉE ({result.refusal.kind}) — {result.refusal.message}"
    if result.decision is not None and result.decision.rerouted:
        return f"Décision : RÉACHEMINÉE de « {result.plan.model} » vers « {result.model} »"
    return f"Décision : TRANSMISE au modèle « {result.model} »"


def _run_cases(settings: Settings, files: Sequence[Path]) -> int:
    if not files:
        print("Aucun fichier de cas trouvé.", file=sys.stderr)
        return 2
    detector: Detects = _detector(settings)
    context = _context(settings, detector)
    results: list[CaseResult] = []
    for path in files:
        try:
            results += run_file(path, detector, context.hosting, context.active_entities)
        except ConfigFileError as error:
            print(f"Fichier de cas invalide : {error}", file=sys.stderr)
            return 1
    for result in results:
        mark = "ok   " if result.passed else "ÉCHEC"
        print(f"{mark} {result.file.name} : {result.case.name}")
        for problem in result.problems:
            print(f"      - {problem}")
    failed = sum(not r.passed for r in results)
    print(f"{len(results) - failed} cas réussi(s), {failed} en échec.")
    return 1 if failed else 0
