"""The governance pieces without a server: acknowledgements, the charter's rendering, the policy
check of its file, the appendix of answers and streams, the everyday equivalents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proxy.auth import Caller
from proxy.cli import main
from proxy.exchange import Exchange
from proxy.governance.acks import AckStore, acks_path
from proxy.governance.answers import append_to_completion, appendix_events
from proxy.governance.charter import Charter
from proxy.governance.checks import charter_problems
from proxy.governance.equivalents import equivalents, factors
from proxy.governance.transparency import build
from proxy.openai_api import sse
from proxy.policy.schema import Policy
from proxy.register.store import Register
from proxy.settings import Settings, load_settings
from tests.governance.registerfill import START, USER_PREFIX, fill_register


def test_acknowledgements_are_per_version_and_counted_per_service(tmp_path: Path) -> None:
    store = AckStore(tmp_path / "acks.sqlite")
    store.add("a.martin", "rh", "1", "a" * 64)
    store.add("a.martin", "rh", "1", "a" * 64)  # twice: one acknowledgement
    store.add("b.durand", "rh", "1", "a" * 64)
    store.add("c.petit", "urbanisme", "1", "a" * 64)
    assert store.has("a.martin", "1", "a" * 64)
    assert not store.has("a.martin", "2", "b" * 64) and not store.has("a.martin", "1", "b" * 64)
    assert [(c.service, c.agents) for c in store.counts()] == [("rh", 2), ("urbanisme", 1)]
    store.close()
    reopened = AckStore(tmp_path / "acks.sqlite", readonly=True)
    assert reopened.has("b.durand", "1", "a" * 64)
    reopened.close()


def test_the_charter_is_rendered_without_its_raw_html_or_script_links() -> None:
    text = "# Charte\n\n<script>alert(1)</script>\n\n[lien](javascript:alert(1)) et **gras**\n"
    html = Charter("1", "a" * 64, text).html()
    assert "<h1>Charte</h1>" in html and "<strong>gras</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_a_missing_charter_file_is_a_policy_problem(tmp_path: Path) -> None:
    policy = Policy.model_validate(
        {
            "services": {"rh": {"models": ["demo"]}},
            "governance": {"charter": {"file": "c.md", "version": "1"}},
        }
    )
    problems = list(charter_problems(policy, tmp_path / "politique.yaml"))
    assert [p.keys for p in problems] == [("governance", "charter", "file")]
    (tmp_path / "c.md").write_text("# Charte\n", encoding="utf-8")
    assert list(charter_problems(policy, tmp_path / "politique.yaml")) == []


def exchange(suffix: str) -> Exchange:
    made = Exchange(caller=Caller("a.martin", "rh"), endpoint="chat.completions", policy_sha256="0" * 64)
    made.model, made.answer_suffix = "demo", suffix
    return made


def test_the_appendix_ends_text_answers_but_not_tool_calls() -> None:
    answer = {
        "choices": [{"message": {"content": "Bonjour."}}, {"message": {"content": None, "tool_calls": []}}]
    }
    append_to_completion(answer, "\n\n---\nMention")
    assert answer["choices"][0]["message"]["content"] == "Bonjour.\n\n---\nMention"
    assert answer["choices"][1]["message"]["content"] is None


def test_the_appendix_chunk_comes_just_before_done_and_never_on_a_cut_stream() -> None:
    done, last = sse.encode(sse.DONE), sse.encode({"choices": []})
    events = appendix_events(exchange("\n\nMention"), [last, done])
    assert events[0] == last and events[-1] == done and b'"content": "\\n\\nMention"' in events[1]
    assert appendix_events(exchange("\n\nMention"), [last]) == [last]  # no [DONE]: cut, no notice
    assert appendix_events(exchange(""), [last, done]) == [last, done]


def test_equivalents_come_from_the_cited_factors() -> None:
    assert all(f.source for f in factors())
    car = next(e for e in equivalents(energy_wh=100.0, gco2e=2180.0) if e.unit == "km")
    assert round(car.value, 6) == 10.0


def test_charter_stats_prints_counts_per_service_never_agents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gardefou.yaml"
    config.write_text(f"data_dir: {tmp_path}\n", encoding="utf-8")
    store = AckStore(acks_path(load_settings(config)))
    for user in ("agent.un", "agent.deux", "agent.trois"):
        store.add(user, "rh", "2026-01", "a" * 64)
    store.close()
    assert main(["charter", "stats", "--config", str(config), "--format", "json"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == [
        {"service": "rh", "version": "2026-01", "empreinte": "a" * 64, "agents": 3}
    ]
    assert main(["charter", "stats", "--config", str(config)]) == 0
    assert "agent." not in printed + capsys.readouterr().out


def test_the_transparency_content_is_monthly_suppressed_and_per_agent_free(tmp_path: Path) -> None:
    fill_register(tmp_path / "r.sqlite", 300, START, days=40)
    register = Register.open(tmp_path / "r.sqlite", readonly=True)
    policy = Policy.model_validate({"services": {"rh": {"models": ["demo"]}}})
    content = build(policy, Settings(data_dir=tmp_path), register.rows())
    register.close()
    assert [m.month for m in content.months] == ["avril 2026", "mars 2026"]
    assert all(m.refused == "< 5" or m.refused == "0" or int(m.refused) >= 5 for m in content.months)
    assert any(e.sentence == "km en voiture thermique" for e in content.equivalents)
    assert USER_PREFIX not in repr(content)
