"""The `huoke` command: a Typer root that mounts each context's commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from huoke.app import build_platform
from huoke.platform import cli as platform_cli
from huoke.platform.runtime import Runtime, build_runtime
from huoke.platform.service import Platform
from huoke.platform.settings import Settings
from huoke.platform.worker import WorkQueue

INTERNAL_ERROR_EXIT = 70

app = typer.Typer(
    name="huoke",
    help="huoke (活客): customer-lifecycle marketing for banks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class CliContext:
    """Builds the runtime lazily so `--help` and usage errors touch no store."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._runtime: Runtime | None = None
        self._platform: Platform | None = None

    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = build_runtime(self.settings)
        return self._runtime

    def api(self) -> Any:
        from huoke.app import create_app

        return create_app(self.settings)

    def platform(self) -> Platform:
        if self._platform is None:
            self._platform = build_platform(self.runtime())
        return self._platform

    def work_queue(self) -> WorkQueue:
        from huoke.app import build_work_queue

        return build_work_queue(self.runtime())


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="data directory (default $HUOKE_DATA_DIR or ./huoke-data)"),
    ] = None,
) -> None:
    """Global options."""
    overrides = {"data_dir": data_dir} if data_dir is not None else {}
    ctx.obj = CliContext(Settings(**overrides))  # type: ignore[arg-type]
    _inject(ctx)


def _inject(ctx: typer.Context) -> None:
    """What one context's commands need from another, supplied here so contexts stay one-way dependent."""
    from huoke.app import build_dispatcher, build_ingestion
    from huoke.events.cli import import_activity, timeline_section
    from huoke.messaging.service import contact_history_section
    from huoke.segments.tag_cli import tags_section

    ctx.meta["huoke.ingestion"] = build_ingestion
    ctx.meta["huoke.dispatcher"] = build_dispatcher
    ctx.meta["huoke.importers"] = {"events": import_activity, "transactions": import_activity}
    ctx.meta["huoke.customer_sections"] = {
        "tags": tags_section,
        "timeline": timeline_section,
        "messages": contact_history_section,
    }


def _mount() -> None:
    from huoke.customers import cli as customers_cli
    from huoke.demo import cli as demo_cli
    from huoke.events import cli as events_cli
    from huoke.journeys import cli as journeys_cli
    from huoke.messaging import cli as messaging_cli
    from huoke.segments import cli as segments_cli
    from huoke.segments import tag_cli

    platform_cli.register(app)
    customers_cli.register(app)
    events_cli.register(app)
    segments_cli.register(app)
    tag_cli.register(app)
    messaging_cli.register(app)
    journeys_cli.register(app)
    demo_cli.register(app)


def main() -> None:
    """Console-script entry point."""
    _mount()
    try:
        app()
    except Exception as exc:  # a defect, not a user error: short message unless debugging
        if os.environ.get("HUOKE_DEBUG"):
            raise
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "this is a defect in huoke; rerun with HUOKE_DEBUG=1 for the stack trace\n"
        )
        sys.exit(INTERNAL_ERROR_EXIT)
