"""Background tasks of chat front-ends: title, tags, follow-ups, search query, autocomplete...

One message typed by an agent fans out into several calls; these tell the register (column `task`)
and the policy (`tasks:`) which call is which. A task is named by the `X-Gardefou-Task` header
(Open WebUI: a custom header set to {{TASK}}), believed from a declared front-end only, or
recognised from the opening of the front-end's own task prompt. Kinds and prompts are data
(tasks.yaml); only known kinds reach the register, never the header's free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

TASK_HEADER = "X-Gardefou-Task"
_DATA = Path(__file__).with_name("tasks.yaml")


class TaskKind(StrEnum):
    TITLE = "title"
    TAGS = "tags"
    FOLLOW_UPS = "follow_ups"
    QUERY = "query"
    AUTOCOMPLETE = "autocomplete"
    EMOJI = "emoji"
    IMAGE_PROMPT = "image_prompt"
    FUNCTION_CALLING = "function_calling"
    MOA = "moa"
    OTHER = "other"  # a task header with a value nobody declared


@dataclass(frozen=True, slots=True)
class TaskCatalogue:
    header_values: Mapping[str, TaskKind]
    prompts: Mapping[TaskKind, tuple[str, ...]]


@cache
def catalogue() -> TaskCatalogue:
    data = yaml.safe_load(_DATA.read_text(encoding="utf-8"))
    values = {str(k): TaskKind(v) for k, v in data["header_values"].items()}
    prompts = {TaskKind(k): tuple(str(p) for p in v) for k, v in data["prompts"].items()}
    return TaskCatalogue(values, prompts)


def declared(headers: Mapping[str, str], trusted: bool) -> TaskKind | None:
    """The task a trusted front-end names in the header (None: none, or not believed)."""
    value = headers.get(TASK_HEADER, "").strip().lower() if trusted else ""
    if not value:
        return None
    return catalogue().header_values.get(value, TaskKind.OTHER)


def recognised(body: Any) -> TaskKind | None:
    """The task whose prompt opens the last user message or the first system message (Open WebUI
    sends title, tags... as one user message, the tool-choice prompt as a system message)."""
    texts = [_text(_message(body, "user", -1)).lstrip(), _text(_message(body, "system", 0)).lstrip()]
    for kind, openings in catalogue().prompts.items():
        if any(text.startswith(opening) for text in texts for opening in openings):
            return kind
    return None


def _message(body: Any, role: str, index: int) -> Any:
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        return None
    found = [m for m in messages if isinstance(m, dict) and m.get("role") == role]
    return found[index] if found else None


def _text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, dict)]
        content = "\n".join(part for part in parts if isinstance(part, str))
    return content if isinstance(content, str) else ""
