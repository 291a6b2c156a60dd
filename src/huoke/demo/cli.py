"""Demo commands (placeholder until the generator is wired)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
