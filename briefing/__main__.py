from briefing.cli import run

run()
