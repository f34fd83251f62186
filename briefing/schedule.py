"""Scheduling text: a crontab line and a systemd service and timer that run `briefing weekly`."""

from __future__ import annotations

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


def _parse_time(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        raise ConfigurationError(f"--time takes HH:MM, not {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ConfigurationError(f"--time takes HH:MM, not {text!r}")
    return hour, minute


def schedule_text(day: str, time: str, corpus: Path, out: Path, workdir: Path) -> str:
    """A crontab line, then a systemd service and timer, that run `briefing weekly` weekly."""
    key = day.lower()[:3]
    if key not in DAYS:
        raise ConfigurationError(f"--day takes one of {', '.join(DAYS)}, not {day!r}")
    hour, minute = _parse_time(time)
    executable = shutil.which("briefing") or f"{sys.executable} -m briefing"
    log = out.resolve() / "weekly.log"
    command = (
        f"cd {shlex.quote(str(workdir))} && {executable} weekly --corpus {shlex.quote(str(corpus))}"
        f" --out {shlex.quote(str(out))} --log {shlex.quote(str(log))}"
    )
    return f"""# crontab (crontab -e): every {DAYS[key]} at {hour:02d}:{minute:02d}
{minute} {hour} * * {CRON_DAYS[key]} {command}

# systemd: ~/.config/systemd/user/briefing-weekly.service
[Unit]
Description=Weekly situation brief

[Service]
Type=oneshot
WorkingDirectory={workdir}
ExecStart={executable} weekly --corpus {corpus} --out {out} --log {log}

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
