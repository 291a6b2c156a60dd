"""Journey commands: `huoke journeys create | list | activate | pause | resume | stop | status` (CONTRACTS.md §1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huoke.journeys import service
from huoke.platform.console import emit, stdout, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.migrate import require_current
from huoke.platform.runtime import Runtime

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
Name = Annotated[str, typer.Argument(help="the journey's name")]
ACTOR = "cli"


def register(app: typer.Typer) -> None:
    journeys = typer.Typer(help="journeys: automated multi-step flows (CONTRACTS.md §5)", no_args_is_help=True)
    journeys.command("create")(create)
    journeys.command("list")(list_all)
    journeys.command("status")(status)
    for command in service.MOVES:
        journeys.command(command)(_mover(command))
    app.add_typer(journeys, name="journeys")


def _runtime(ctx: typer.Context) -> Runtime:
    runtime: Runtime = ctx.obj.runtime()
    require_current(runtime.engine)
    return runtime


def create(
    ctx: typer.Context, file: Annotated[Path, typer.Argument(help="the journey, JSON")], as_json: JsonFlag = False
) -> None:
    """Save a journey (a draft when new; a changed file becomes the next version)."""
    with user_errors(as_json=as_json):
        result = service.create_journey(_runtime(ctx), _json(file), actor=ACTOR)
    emit(result, as_json=as_json, render=lambda r: stdout.print(f"journey {r['name']} version {r['version']}"))


def list_all(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Every journey with its version and state."""
    with user_errors(as_json=as_json):
        result = {"journeys": service.list_journeys(_runtime(ctx))}
    emit(result, as_json=as_json, render=_render_list)


def status(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
    """Version, state, and how many customers entered, are on their way, completed, and were held out."""
    with user_errors(as_json=as_json):
        result = service.journey_status(_runtime(ctx), name=name)
    emit(result, as_json=as_json, render=lambda r: stdout.print(", ".join(f"{k} {v}" for k, v in r.items())))


def _mover(command: str) -> Any:
    def move(ctx: typer.Context, name: Name, as_json: JsonFlag = False) -> None:
        with user_errors(as_json=as_json):
            result = service.change_state(_runtime(ctx), name=name, command=command, actor=ACTOR)
        emit(result, as_json=as_json, render=lambda r: stdout.print(f"journey {r['name']}: {r['state']}"))

    move.__doc__ = {
        "activate": "Check every name the journey uses, then start it.",
        "pause": "Hold every instance where it is; no new entries.",
        "resume": "Continue a paused journey.",
        "stop": "End the journey: no new entries, and its instances stop.",
    }[command]
    move.__name__ = command
    return move


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", code="unreadable_file") from exc


def _render_list(result: dict[str, Any]) -> None:
    table = Table("name", "version", "state")
    for row in result["journeys"]:
        table.add_row(row["name"], str(row["version"]), row["state"])
    stdout.print(table)
