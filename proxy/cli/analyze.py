"""`gardefou analyze`: what the detector finds in a text and what would be sent upstream.

gardefou analyze "texte"                      redacted text + table of findings
gardefou analyze < fichier.txt                the same, text read from standard input
gardefou analyze --file FICHIER               the same, text read from a file
gardefou analyze --format jsonl [FICHIER]     one JSON object per line in ({"id", "text"}), one out:
                                              {"id", "redacted", "findings": [{start, end,
                                              entity_type, score}]}; the model loads once
Options: --service S (that service's policy; default: the policy's defaults), --model M (default: the
first model of the service's catalogue), --policy FICHIER, --config FICHIER.
The same path as the proxy and `policy test` (proxy/protection.py).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from proxy.analysis.findings import Finding
from proxy.cli.common import config_option, settings_or_exit
from proxy.config_file import ConfigFileError
from proxy.entities import EntityType
from proxy.policy import engine
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.policy.schema import Action
from proxy.policy.simulate import Detects, caller_for, simulate

BATCH = 32
NO_MODEL = "-"  # the service has no model: the plan refuses it, detection and redaction still show
_ACTIONS = {
    Action.PSEUDONYMISE: "pseudonymisé",
    Action.MASK: "masqué",
    Action.BLOCK: "bloquant",
    Action.ALLOW: "conservé",
}


@dataclass(frozen=True, slots=True)
class Analysis:
    """One text as the proxy would treat it: the findings that count and the text sent upstream."""

    redacted: str
    findings: tuple[Finding, ...]
    actions: dict[EntityType, Action]
    blocked: str | None = None  # why the proxy would refuse the request (a type the policy blocks)


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "analyze",
        parents=[config_option()],
        help="montrer les données personnelles détectées dans un texte",
        description="Ce que le détecteur trouve dans un texte, et ce qui serait envoyé au modèle.",
    )
    parser.add_argument(
        "source", nargs="?", help="texte à analyser (jsonl : fichier ; défaut : entrée standard)"
    )
    parser.add_argument("--file", type=Path, help="lire le texte dans ce fichier")
    parser.add_argument(
        "--format", choices=("table", "jsonl"), default="table", help="format (défaut : table)"
    )
    parser.add_argument("--service", default="", help="service dont la politique s'applique")
    parser.add_argument("--model", help="modèle demandé (défaut : le premier autorisé pour le service)")
    parser.add_argument("--policy", type=Path, help="politique (défaut : celle de la configuration)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config)
    loaded = _policy(args.policy or settings.policy)
    detector = _detector(settings.models_dir)
    analyse = Analyser(loaded, detector, args.service, args.model)
    if args.format == "jsonl":
        stream = sys.stdin if args.source in (None, "-") else _open(Path(args.source))
        return write_jsonl(analyse, stream, sys.stdout)
    text = _read_text(args)
    print_table(text, analyse([text])[0])
    return 0


class Analyser:
    """The proxy's path for each text (proxy/policy/simulate.py): detection (in batches), the policy's
    plan and decision, then redaction. The model is `model`, else the first of the service's catalogue."""

    def __init__(
        self, loaded: LoadedPolicy, detector: Detects, service: str, model: str | None = None
    ) -> None:
        self._loaded, self._detector = loaded, detector
        self._caller = caller_for(service, user="dpo.analyze")
        catalogue = engine.allowed_models(loaded.policy, service)
        self._model = model or (catalogue[0] if catalogue else NO_MODEL)
        self._key = secrets.token_bytes(32)

    def __call__(self, texts: Sequence[str]) -> list[Analysis]:
        detected = dict(zip(texts, self._detector.detect(texts), strict=True))
        known = _Detected(detected)
        return [self.analyse(text, known) for text in texts]

    def analyse(self, text: str, detector: Detects) -> Analysis:
        result = simulate(self._loaded.rulebook, detector, self._caller, self._model, text, key=self._key)
        actions = dict(result.decision.actions)
        return Analysis(result.redacted, result.findings, actions, _blocked(result.findings, actions))


@dataclass(frozen=True, slots=True)
class _Detected:
    """Findings already computed for a batch of texts, served to `simulate` one text at a time."""

    findings: Mapping[str, list[Finding]]

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        return [self.findings[text] for text in texts]


def _blocked(found: Sequence[Finding], actions: Mapping[EntityType, Action]) -> str | None:
    blocked = sorted({f.entity for f in found if actions.get(f.entity) is Action.BLOCK})
    if not blocked:
        return None
    return "elle contient " + ", ".join(entity.phrase for entity in blocked) + "."


def print_table(text: str, analysis: Analysis, out: TextIO = sys.stdout) -> None:
    out.write("Texte tel qu'envoyé au modèle :\n")
    out.write(analysis.redacted + "\n\n")
    if not analysis.findings:
        out.write("Aucune donnée personnelle détectée.\n")
        return
    if analysis.blocked:
        out.write(f"La demande serait refusée : {analysis.blocked}\n\n")
    out.write(f"Données détectées ({len(analysis.findings)}) :\n")
    out.write(f"{'type':<16}{'début':>6}{'fin':>6}{'score':>7}  {'reconnaisseur':<20}traitement\n")
    for f in analysis.findings:
        action = _ACTIONS[analysis.actions.get(f.entity, Action.PSEUDONYMISE)]
        out.write(f"{f.entity.value:<16}{f.start:>6}{f.end:>6}{f.score:>7.2f}  {f.recognizer:<20}{action}\n")


def write_jsonl(analyse: Analyser, stream: TextIO, out: TextIO) -> int:
    """One output object per input line, in order; 2 (and a French message) on a bad line."""
    try:
        for batch in _batches(_records(stream)):
            results = analyse([text for _, text in batch])
            for (record_id, _), result in zip(batch, results, strict=True):
                out.write(json.dumps(_jsonl_row(record_id, result), ensure_ascii=False) + "\n")
    except ValueError as error:
        print(f"Entrée invalide : {error}", file=sys.stderr)
        return 2
    return 0


def _jsonl_row(record_id: Any, result: Analysis) -> dict[str, Any]:
    findings = [
        {"start": f.start, "end": f.end, "entity_type": f.entity.value, "score": f.score}
        for f in result.findings
    ]
    return {"id": record_id, "redacted": result.redacted, "findings": findings}


def _records(stream: TextIO) -> Iterator[tuple[Any, str]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ValueError(f"ligne {number} : JSON invalide") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValueError(f"ligne {number} : objet JSON avec un champ « text » (chaîne) attendu")
        yield record.get("id"), record["text"]


def _batches(records: Iterator[tuple[Any, str]]) -> Iterator[list[tuple[Any, str]]]:
    batch: list[tuple[Any, str]] = []
    for record in records:
        batch.append(record)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _read_text(args: argparse.Namespace) -> str:
    if args.file is not None:
        return _open(args.file).read()
    if args.source is not None:
        return str(args.source)
    return sys.stdin.read()


def _open(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8")
    except OSError as error:
        print(f"Fichier illisible : {path} ({error.strerror})", file=sys.stderr)
        raise SystemExit(2) from None


def _policy(path: Path) -> LoadedPolicy:
    try:
        return load_policy(path)
    except ConfigFileError as error:
        print(f"Politique invalide : {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _detector(models_dir: Path) -> Detects:
    # Imported here: only the commands that detect pay for loading spaCy.
    from proxy.analysis.engine import DetectionError, Detector, load_detection_config

    try:
        return Detector(load_detection_config(models_dir))
    except (DetectionError, ValueError) as error:
        print(f"Détecteur indisponible : {error}", file=sys.stderr)
        raise SystemExit(2) from None
