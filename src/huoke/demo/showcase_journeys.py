"""The showcase's journeys: save the example journeys, activate those whose templates and segments the demo
bank has, and run the simulated clock forward (90 days by default) so birthdays of accounts, festivals,
weekly segment refreshes and timers do their work; then report entries, messages by channel and policy
outcome, RM tasks, and conversion for the treatment and holdout groups."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from huoke.journeys import service as journeys
from huoke.messaging import service as messaging
from huoke.messaging import task_service
from huoke.platform.errors import HuokeError
from huoke.platform.runtime import Runtime
from huoke.platform.service import Platform


def run_journeys(runtime: Runtime, platform: Platform, folder: Path, *, days: int) -> dict[str, Any]:
    """Activate what can run on the demo bank, advance DAYS simulated days, and report."""
    refused: dict[str, str] = {}
    names = []
    for path in sorted(folder.glob("*.json")):
        saved = journeys.create_journey(runtime, json.loads(path.read_text(encoding="utf-8")), actor="demo")
        try:
            journeys.change_state(runtime, name=saved["name"], command="activate", actor="demo")
            names.append(saved["name"])
        except HuokeError as exc:
            refused[saved["name"]] = exc.message
    start = runtime.now()
    platform.run_until(start + timedelta(days=days))
    return {
        "days": days,
        "from": start.isoformat(),
        "journeys": {name: _report(runtime, name) for name in names},
        "refused": refused,
        "messages": _messages(runtime),
    }


def _report(runtime: Runtime, name: str) -> dict[str, Any]:
    status = journeys.journey_status(runtime, name=name)
    tasks = task_service.list_tasks(runtime, journey=name, limit=1_000_000)["tasks"]
    return {
        "entered": status["entered"],
        "holdout": status["holdout"],
        "active": status["active"],
        "completed": status["completed"],
        "tasks": len(tasks),
        "goal": status["goal"],
    }


def _messages(runtime: Runtime) -> dict[str, dict[str, int]]:
    """journey → "channel status/reason" → messages."""
    found: dict[str, dict[str, int]] = {}
    for row in messaging.journey_outcomes(runtime):
        key = f"{row['channel']} {row['status']}/{row['reason']}"
        found.setdefault(row["journey"], {})[key] = row["messages"]
    return found
