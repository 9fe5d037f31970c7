"""What the policy does with a front-end's background task (section `tasks:`): pure decision, and
the one place the request is changed for it (the model asked for, before the plan checks it)."""

from __future__ import annotations

from typing import Any

from proxy.errors import Forbidden
from proxy.policy.schema import Policy, TaskAction
from proxy.tasks import TaskKind, recognised


class TaskRefused(Forbidden):
    code = "task_refused"


def task_model(policy: Policy, task: TaskKind | None, requested: str) -> str:
    """The model the task goes to; TaskRefused (403) when the policy switches the task off."""
    rule = policy.tasks.get(task) if task is not None else None
    if rule is None or rule.action is TaskAction.ALLOW:
        return requested
    if rule.action is TaskAction.REFUSE:
        raise TaskRefused(
            f"La tâche de fond « {task} » du frontal est désactivée par la politique de votre "
            "collectivité ; la conversation elle-même n'est pas concernée."
        )
    assert rule.model is not None  # validated: route names a model
    return rule.model


def apply_task(policy: Policy, task: TaskKind | None, body: Any) -> None:
    """Send the task where the policy says (in place); refuse it if switched off."""
    if task is None or not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return
    body["model"] = task_model(policy, task, body["model"])


def settle_task(policy: Policy, declared: str | None, body: Any) -> str | None:
    """Name the task (the front-end's header, else its prompt), apply the policy to it, and
    return its kind for the register."""
    task = declared or recognised(body)
    apply_task(policy, TaskKind(task) if task else None, body)
    return task
