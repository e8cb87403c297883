"""Entry point: `python -m bot [COMMAND]` (see `python -m bot --help`)."""

from __future__ import annotations

import gc
import sys

# Start-up builds a great many objects that live as long as the process (aiogram's types and
# their validators above all), and the collections this building sets off walk them all, again
# and again: half a second of a start here. Collection resumes once the command is known
# (bot/cli.py), or for `run` once start-up is over and what it built is frozen (bot/runner.py).
gc.disable()

from bot.cli import main  # noqa: E402 - after gc.disable(), which is the point

if __name__ == "__main__":
    sys.exit(main())
