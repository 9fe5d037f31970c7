"""Background tasks: named by the front-end's header or recognised from Open WebUI's own prompts
(the copies in tests/fixtures/openwebui/), recorded in the register, routed or refused by the policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.policy.checks import PolicyContext, problems
from proxy.policy.schema import Policy
from proxy.roles import Role
from proxy.settings import Hosting
from proxy.tasks import TASK_HEADER, TaskKind, declared, recognised
from tests.e2e.recording_upstream import Recorder
from tests.frontend.kit import GROUPS, JWT_ENV, JWT_SECRET, frontend_site, mint, register_rows
from tests.web.appkit import REPO, Site, chat_body

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "openwebui"
HISTORY = "USER: Mme Josiane Berthelot, 12 rue des Lilas à Quimper, demande un permis de construire."
KINDS = {
    "title": TaskKind.TITLE,
    "tags": TaskKind.TAGS,
    "follow_up": TaskKind.FOLLOW_UPS,
    "query": TaskKind.QUERY,
    "autocomplete": TaskKind.AUTOCOMPLETE,
    "emoji": TaskKind.EMOJI,
    "image_prompt": TaskKind.IMAGE_PROMPT,
    "moa": TaskKind.MOA,
}


def rendered(name: str) -> str:
    """A template filled the way Open WebUI fills it (chat history, prompt, type)."""
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    for marker in ("{{MESSAGES:END:2}}", "{{MESSAGES:END:6}}", "{{prompt}}", "{{PROMPT}}"):
        text = text.replace(marker, HISTORY)
    return text.replace("{{TYPE}}", "General")


def user_body(content: str, model: str = "demo") -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": content}]}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_open_webui_task_prompts_are_recognised(name: str) -> None:
    assert recognised(user_body(rendered(name))) is KINDS[name]


def test_the_tool_choice_prompt_is_recognised_as_a_system_message() -> None:
    body = {
        "model": "demo",
        "messages": [
            {"role": "system", "content": rendered("function_calling").replace("{{TOOLS}}", "[]")},
            {"role": "user", "content": "Query: " + HISTORY},
        ],
    }
    assert recognised(body) is TaskKind.FUNCTION_CALLING


def test_ordinary_requests_and_documents_are_no_task() -> None:
    assert recognised(user_body("Rédige un courrier à Mme Berthelot.")) is None
    assert recognised(user_body(rendered("rag"))) is None  # a chat with documents is the agent's use
    assert recognised(user_body("Explique ceci : ### Task:\nGenerate a concise title")) is None
    assert recognised({"messages": "x"}) is None and recognised([]) is None


def test_the_header_is_believed_from_a_frontend_only_and_only_known_kinds_are_kept() -> None:
    assert declared({TASK_HEADER: "title_generation"}, trusted=True) is TaskKind.TITLE
    assert declared({TASK_HEADER: "autocomplete_generation"}, trusted=True) is TaskKind.AUTOCOMPLETE
    assert declared({TASK_HEADER: "Mme Berthelot"}, trusted=True) is TaskKind.OTHER
    assert declared({TASK_HEADER: ""}, trusted=True) is None
    assert declared({TASK_HEADER: "title_generation"}, trusted=False) is None


@pytest.fixture(scope="module")
def tasked(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[tuple[Site, str]]:
    tmp = tmp_path_factory.mktemp("tasks")
    policy = yaml.safe_load((REPO / "policies" / "default.yaml").read_text(encoding="utf-8"))
    for service in ("urbanisme", "rh"):
        policy["services"][service]["models"] = ["demo", "petit"]
    policy["tasks"] = {"autocomplete": {"action": "refuse"}, "title": {"action": "route", "model": "petit"}}
    (tmp / "policy.yaml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    upstream = {"name": "local-llm", "base_url": f"{upstream_url}/v1", "hosting": "local"}
    upstreams = [upstream | {"models": ["demo", "petit"]}]
    frontend = {"jwt_secret_env": JWT_ENV, "groups": GROUPS}
    with pytest.MonkeyPatch.context() as env:
        env.setenv(JWT_ENV, JWT_SECRET)
        with frontend_site(
            tmp, upstream_url, detector, frontend, policy=str(tmp / "policy.yaml"), upstreams=upstreams
        ) as running:
            yield running


def test_tasks_are_recorded_routed_and_refused(tasked: tuple[Site, str], recorder: Recorder) -> None:
    site, key = tasked
    agent = {"Authorization": f"Bearer {key}", "X-OpenWebUI-User-Jwt": mint("marie.dubois@ville.fr")}
    agent["X-OpenWebUI-User-Groups"] = "Urbanisme"

    def send(body: dict[str, object], task: str = "") -> int:
        headers = agent | ({TASK_HEADER: task} if task else {})
        return site.request("POST", "/v1/chat/completions", headers=headers, json=body).status_code

    assert send(chat_body("Rédige un courrier à Mme Berthelot."), task="") == 200
    assert send(user_body(rendered("tags")), task="tags_generation") == 200
    assert send(user_body(rendered("follow_up"))) == 200  # no header: recognised from the prompt
    assert send(user_body(rendered("title")), task="title_generation") == 200
    assert recorder.bodies[-1]["model"] == "petit"  # routed to the small model
    refused = site.request(
        "POST",
        "/v1/chat/completions",
        headers=agent | {TASK_HEADER: "autocomplete_generation"},
        json=user_body(rendered("autocomplete")),
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "task_refused"
    last = register_rows(site)[-5:]
    assert [row["task"] for row in last] == [None, "tags", "follow_ups", "title", "autocomplete"]
    assert last[-1]["decision"] == "blocked" and last[0]["decision"] == "forwarded"
    assert all(row["user"] == "marie.dubois@ville.fr" for row in last)


def test_an_agent_key_cannot_label_its_requests(tasked: tuple[Site, str]) -> None:
    site, _ = tasked
    headers = {TASK_HEADER: "title_generation"}
    response = site.request("POST", "/v1/chat/completions", Role.AGENT, headers=headers, json=chat_body())
    assert response.status_code == 200 and register_rows(site)[-1]["task"] is None


def test_a_task_routed_to_an_unserved_model_is_refused_at_load() -> None:
    policy = Policy.model_validate(
        {
            "services": {"urbanisme": {"models": ["demo"]}},
            "tasks": {"title": {"action": "route", "model": "x"}},
        }
    )
    found = problems(policy, PolicyContext({"demo": Hosting.LOCAL}, frozenset()))
    assert [p.keys for p in found] == [("tasks", "title", "model")]
    with pytest.raises(ValueError, match="model"):
        Policy.model_validate(
            {"services": {"s": {"models": ["demo"]}}, "tasks": {"title": {"action": "route"}}}
        )
