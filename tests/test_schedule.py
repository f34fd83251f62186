"""Scheduling text: paths with spaces, quotes, `%` and `$` reach `briefing weekly` intact."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from briefing import schedule
from briefing.errors import ConfigurationError
from briefing.schedule import schedule_text

# Each name holds something that cron, the shell or systemd would otherwise read as syntax.
AWKWARD = ["my seeds", "50% off", "it's", 'say "hi"', "back\\slash", "back\\%pct", "$HOME", "%d"]


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the installed `briefing` that writes its arguments, one per line."""
    folder = tmp_path / "bin 100% $real"
    folder.mkdir()
    script = folder / "briefing"
    script.write_text('#!/bin/sh\nprintf "%s\\n" "$PWD" "$@" > "$ARGS_OUT"\n', encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(schedule.shutil, "which", lambda name: str(script))
    return script


def cron_shell_command(crontab_line: str) -> str:
    """What cron hands to /bin/sh -c, as cronie's do_command.c does it: an unescaped `%`
    ends the command (the rest is standard input), `\\%` becomes `%`, any other
    backslash pair is kept."""
    command = crontab_line.split(" ", 5)[5]
    kept: list[str] = []
    escaped = False
    for char in command:
        if escaped:
            if char == "%":
                kept[-1] = "%"
            else:
                kept.append(char)
            escaped = False
        elif char == "\\":
            kept.append(char)
            escaped = True
        elif char == "%":
            break
        else:
            kept.append(char)
    return "".join(kept)


def crontab_line(text: str) -> str:
    return next(line for line in text.splitlines() if line and not line.startswith("#"))


def unit_value(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"{key}="))[len(key) + 1 :]


def systemd_words(exec_start: str) -> list[str]:
    """ExecStart= split as systemd.service(5) documents: whitespace between words, double
    quotes with C escapes, `%%` for `%`, and `$$` for `$` in the arguments (the program
    path gets no variable substitution)."""
    words: list[str] = []
    i = 0
    while i < len(exec_start):
        if exec_start[i] == " ":
            i += 1
            continue
        word = []
        quoted = exec_start[i] == '"'
        i += quoted
        while i < len(exec_start) and (quoted or exec_start[i] != " "):
            char = exec_start[i]
            if quoted and char == '"':
                i += 1
                break
            if char == "\\":
                i += 1
                char = {"n": "\n", "t": "\t", "r": "\r"}.get(exec_start[i], exec_start[i])
            word.append(char)
            i += 1
        words.append("".join(word).replace("%%", "%"))
    return [words[0]] + [word.replace("$$", "$") for word in words[1:]]


@pytest.mark.parametrize("name", AWKWARD)
def test_the_crontab_line_runs_with_every_path_intact(
    name: str, program: Path, tmp_path: Path
) -> None:
    workdir = tmp_path / f"work {name}"
    workdir.mkdir()
    corpus, out = Path(f"seeds {name}"), Path(f"briefs {name}")
    line = crontab_line(schedule_text("mon", "07:00", corpus, out, workdir))
    assert line.startswith("0 7 * * 1 ")
    args_out = tmp_path / "args.txt"
    subprocess.run(
        ["/bin/sh", "-c", cron_shell_command(line)],
        check=True,
        env={"ARGS_OUT": str(args_out), "PATH": "/usr/bin:/bin"},
    )
    assert args_out.read_text(encoding="utf-8").splitlines() == [
        str(workdir),
        "weekly",
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--log",
        str(out.resolve() / "weekly.log"),
    ]


@pytest.mark.parametrize("name", AWKWARD)
def test_the_systemd_service_quotes_its_paths(name: str, program: Path, tmp_path: Path) -> None:
    workdir = tmp_path / f"work {name}"
    corpus, out = Path(f"seeds {name}"), Path(f"briefs {name}")
    text = schedule_text("fri", "18:30", corpus, out, workdir)
    assert systemd_words(unit_value(text, "ExecStart")) == [
        str(program),
        "weekly",
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--log",
        str(out.resolve() / "weekly.log"),
    ]
    # systemd takes WorkingDirectory= as written (quotes would be part of the path) and
    # expands only its % specifiers.
    assert unit_value(text, "WorkingDirectory").replace("%%", "%") == str(workdir)
    assert "OnCalendar=Fri *-*-* 18:30:00" in text


def test_plain_paths_stay_unquoted(program: Path, tmp_path: Path) -> None:
    text = schedule_text("mon", "07:00", Path("seeds"), Path("briefs"), tmp_path)
    assert " weekly --corpus seeds --out briefs --log " in crontab_line(text)
    assert " weekly --corpus seeds --out briefs --log " in unit_value(text, "ExecStart")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_service(program: Path, tmp_path: Path) -> None:
    workdir = tmp_path / 'work "50%" it\'s'
    text = schedule_text("mon", "07:00", Path("my seeds"), Path("b $x"), workdir)
    service = text.split("# systemd: ~/.config/systemd/user/briefing-weekly.timer")[0]
    unit = tmp_path / "briefing-weekly.service"
    unit.write_text(service[service.index("[Unit]") :], encoding="utf-8")
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True
    )
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


@pytest.mark.parametrize("field", ["workdir", "corpus", "out"])
def test_a_path_with_a_line_break_is_refused(field: str, tmp_path: Path) -> None:
    paths = {"workdir": tmp_path, "corpus": Path("seeds"), "out": Path("briefs")}
    paths[field] = Path(f"{paths[field]}/two\nlines")
    with pytest.raises(ConfigurationError, match=f"{field} path .* contains a line break"):
        schedule_text("mon", "07:00", paths["corpus"], paths["out"], paths["workdir"])


def test_a_bad_day_or_time_names_the_field() -> None:
    with pytest.raises(ConfigurationError, match="day must be one of mon, tue"):
        schedule_text("someday", "07:00", Path("seeds"), Path("briefs"), Path("/tmp"))
    with pytest.raises(ConfigurationError, match="time must be HH:MM"):
        schedule_text("mon", "24:00", Path("seeds"), Path("briefs"), Path("/tmp"))
