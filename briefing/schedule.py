"""Scheduling text: a crontab line and a systemd service and timer that run `briefing weekly`.

Paths are quoted for the program that reads each line. cron turns an unescaped `%` into
a newline and has no way to write a newline, so `%` is escaped and a newline refused;
systemd unquotes ExecStart= words (C escapes inside double quotes) and expands `%`
specifiers and `$` variables there, while WorkingDirectory= is taken as written, with
only `%` specifiers expanded.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

from briefing.errors import ConfigurationError

DAYS = {
    "mon": "Mon",
    "tue": "Tue",
    "wed": "Wed",
    "thu": "Thu",
    "fri": "Fri",
    "sat": "Sat",
    "sun": "Sun",
}
CRON_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 0}

_SYSTEMD_PLAIN = re.compile(r"[A-Za-z0-9_@+=:,./-]+")


def parse_time(text: str) -> tuple[int, int]:
    """Hour and minute of a time of day written HH:MM."""
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        raise ConfigurationError(f"time must be HH:MM, not {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigurationError(f"time must be HH:MM from 00:00 to 23:59, not {text!r}")
    return hour, minute


def cron_quote(arg: str) -> str:
    """One shell word for a crontab command: shell-quoted, with cron's `%` escaped."""
    if "\n" in arg or "\r" in arg:
        raise ConfigurationError(f"cron cannot run a path that contains a line break: {arg!r}")
    quoted = shlex.quote(arg)
    # cron drops the backslash of `\%`; a literal backslash before a `%` is kept apart
    # from that escape by an empty '' (only then is the word inside single quotes).
    return quoted.replace("\\%", "\\''%").replace("%", "\\%")


def systemd_quote(arg: str, *, program: bool = False) -> str:
    """One ExecStart= word: `%` and `$` doubled, double-quoted with C escapes if needed.

    The program path (the first word) gets no `$` substitution from systemd, so its `$`
    stays single.
    """
    escaped = arg.replace("%", "%%")
    if not program:
        escaped = escaped.replace("$", "$$")
    if _SYSTEMD_PLAIN.fullmatch(arg):
        return escaped
    for char, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = escaped.replace(char, escape)
    return f'"{escaped}"'


def _systemd_path(path: str) -> str:
    """A WorkingDirectory= value: taken as written, with `%` specifiers expanded."""
    if "\n" in path or "\r" in path:
        raise ConfigurationError(f"systemd cannot use a path that contains a line break: {path!r}")
    return path.replace("%", "%%")


def schedule_text(day: str, time: str, corpus: Path, out: Path, workdir: Path) -> str:
    """A crontab line, then a systemd service and timer, that run `briefing weekly` weekly."""
    key = day.lower()[:3]
    if key not in DAYS:
        raise ConfigurationError(f"day must be one of {', '.join(DAYS)}, not {day!r}")
    hour, minute = parse_time(time)
    for name, path in (("workdir", workdir), ("corpus", corpus), ("out", out)):
        if "\n" in str(path) or "\r" in str(path):
            raise ConfigurationError(
                f"{name} path {str(path)!r} contains a line break, which a crontab line or a"
                " systemd unit cannot hold: rename the folder"
            )
    found = shutil.which("briefing")
    program = [found] if found else [sys.executable, "-m", "briefing"]
    log = out.resolve() / "weekly.log"
    args = ["weekly", "--corpus", str(corpus), "--out", str(out), "--log", str(log)]
    cron_command = " ".join(cron_quote(word) for word in [*program, *args])
    exec_start = " ".join(
        [systemd_quote(program[0], program=True), *(systemd_quote(w) for w in program[1:] + args)]
    )
    return f"""# crontab (crontab -e): every {DAYS[key]} at {hour:02d}:{minute:02d}
{minute} {hour} * * {CRON_DAYS[key]} cd {cron_quote(str(workdir))} && {cron_command}

# systemd: ~/.config/systemd/user/briefing-weekly.service
[Unit]
Description=Weekly situation brief

[Service]
Type=oneshot
WorkingDirectory={_systemd_path(str(workdir))}
ExecStart={exec_start}

# systemd: ~/.config/systemd/user/briefing-weekly.timer
[Unit]
Description=Run briefing weekly every {DAYS[key]} at {hour:02d}:{minute:02d}

[Timer]
OnCalendar={DAYS[key]} *-*-* {hour:02d}:{minute:02d}:00
Persistent=true

[Install]
WantedBy=timers.target
# then: systemctl --user daemon-reload && systemctl --user enable --now briefing-weekly.timer
"""
