"""CLI plumbing shared by every context: one JSON document on stdout, errors mapped to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from huoke.platform.errors import HuokeError

stderr = Console(stderr=True)
stdout = Console()  # readable results (never used with --json, which writes one document)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit(result: dict[str, Any], *, as_json: bool, render: Callable[[dict[str, Any]], None]) -> None:
    """Print a command's result: exactly one JSON document with --json, else a readable rendering."""
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=_default) + "\n")
    else:
        render(result)


@contextmanager
def user_errors(*, as_json: bool) -> Iterator[None]:
    """Map HuokeError to exit code 1 with a message naming the problem; never a stack trace."""
    try:
        yield
    except HuokeError as err:
        stderr.print(f"[bold red]error:[/] {err.message}")
        if as_json:
            doc = {"error": {"code": err.code, "message": err.message, **err.details}}
            sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=_default) + "\n")
        raise typer.Exit(code=err.exit_code) from None


@contextmanager
def progress_bar(description: str, total: int | None, *, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr when it is a terminal; advance by calling the yielded function."""
    if not enabled or not stderr.is_terminal:
        yield lambda _n: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=False) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.update(task, completed=n)
