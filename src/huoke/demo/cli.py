"""`huoke demo`: the showcase on the embedded default, and `huoke demo generate` for the synthetic bank."""

from __future__ import annotations

import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from huoke.customers.import_service import import_file
from huoke.customers.summary import portfolio_summary
from huoke.demo.activity import KINDS as ACTIVITY_KINDS
from huoke.demo.activity import ActivityFiles, activity_window, generate_activity
from huoke.demo.generator import GeneratedBank, generate_bank
from huoke.demo.showcase_activity import load_activity
from huoke.demo.showcase_journeys import run_journeys
from huoke.demo.showcase_messages import send_campaigns, templates_dir
from huoke.demo.showcase_segments import tag_and_segment
from huoke.platform.console import emit, progress_bar, stderr, user_errors
from huoke.platform.errors import InvalidInput
from huoke.platform.service import PlatformFactory

JsonFlag = Annotated[bool, typer.Option("--json", help="print exactly one JSON document on stdout")]
IMPORT_ORDER = ("org", "staff", "products", "customers", "holdings", "consents")

demo_app = typer.Typer(help="the showcase bank: generate it, import it, see it", invoke_without_command=True)


def register(app: typer.Typer) -> None:
    demo_app.command("generate")(generate)
    app.add_typer(demo_app, name="demo")


@demo_app.callback()
def showcase(
    ctx: typer.Context,
    customers: Annotated[int, typer.Option(min=1, help="number of customers")] = 20_000,
    days: Annotated[int, typer.Option(min=0, help="days of activity (events and transactions)")] = 90,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same bank")] = 7,
    journey_days: Annotated[
        int, typer.Option(min=0, max=366, help="simulated days the example journeys run forward (0: none)")
    ] = 90,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="do not start the API afterwards")] = False,
    fresh: Annotated[bool, typer.Option("--fresh", help="start from an empty data dir")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Generate a synthetic city commercial bank, import it into the data dir and print a summary."""
    if ctx.invoked_subcommand is not None:
        return
    factory: PlatformFactory = ctx.obj
    with user_errors(as_json=as_json):
        data_dir = factory.runtime().settings.data_dir
        if fresh:
            _wipe(factory, data_dir)
        result = _run_showcase(
            factory, customers=customers, days=days, seed=seed, journey_days=journey_days, quiet=as_json
        )
    emit(result, as_json=as_json, render=_render_summary)
    if not no_serve and not as_json:
        stderr.print(f"API: run `huoke --data-dir {data_dir} serve` to browse it")


def _wipe(factory: PlatformFactory, data_dir: Path) -> None:
    if factory.runtime().settings.database_url:
        raise InvalidInput(
            "--fresh only wipes the embedded store; drop the PostgreSQL database yourself",
            code="fresh_needs_embedded",
        )
    if data_dir.exists() and not (data_dir / "huoke.db").exists() and any(data_dir.iterdir()):
        raise InvalidInput(f"{data_dir} is not a huoke data dir; refusing to delete it", code="not_a_data_dir")
    factory.runtime().close()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)


def _run_showcase(
    factory: PlatformFactory, *, customers: int, days: int, seed: int, journey_days: int, quiet: bool
) -> dict[str, Any]:
    runtime = factory.runtime()
    today = datetime.now(runtime.settings.zone).date()
    start = datetime.combine(today, time(9, 0), tzinfo=runtime.settings.zone)
    factory.platform().init(mode="simulated", start=start)
    files_dir = runtime.settings.data_dir / "demo-files"
    bank = _generate(files_dir, customers=customers, seed=seed, as_of=today, quiet=quiet)
    imports = {}
    for kind in IMPORT_ORDER:
        path = bank.files[kind]
        with progress_bar(f"import {kind}", path.stat().st_size, enabled=not quiet) as advance:
            summary = import_file(
                runtime, kind=kind, path=path, actor="demo", progress=lambda done, _total: advance(done)
            )
        imports[kind] = summary.as_dict()
    activity = None
    if days:
        end = today - timedelta(days=1)
        activity = load_activity(runtime, bank, days=days, end=end, seed=seed, quiet=quiet)
    reach = tag_and_segment(runtime, factory.work_queue().subscriptions)
    folder = templates_dir()
    messages = send_campaigns(runtime, factory.platform(), folder) if folder else None
    flows = folder.parent / "journeys" if folder else None
    journeys = run_journeys(runtime, factory.platform(), flows, days=journey_days) if flows and journey_days else None
    return {
        "data_dir": str(runtime.settings.data_dir),
        "seed": seed,
        "as_of": today.isoformat(),
        "imports": imports,
        "rejected": sum(i["rejected"] for i in imports.values()),
        "summary": portfolio_summary(runtime),
        "activity": activity,
        "tags": reach["tags"],
        "segments": reach["segments"],
        "messages": messages,
        "journeys": journeys,
    }


def _generate(out: Path, *, customers: int, seed: int, as_of: date, quiet: bool) -> GeneratedBank:
    """Write the synthetic bank with a progress bar over its customers."""
    with progress_bar("generate bank", customers, enabled=not quiet) as advance:
        return generate_bank(
            out,
            customers=customers,
            seed=seed,
            as_of=as_of,
            progress=lambda kind, n: advance(n) if kind == "customers" else None,
        )


def generate(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="folder for the CSV files")],
    customers: Annotated[int, typer.Option(min=1)] = 20_000,
    seed: Annotated[int, typer.Option()] = 7,
    as_of: Annotated[str | None, typer.Option(help="business date the bank is generated at (default today)")] = None,
    days: Annotated[
        int, typer.Option(min=0, max=3660, help="days of transactions and app events up to the day before --as-of")
    ] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Write a synthetic city commercial bank as import files (CONTRACTS.md §2), with --days of activity."""
    with user_errors(as_json=as_json):
        factory: PlatformFactory = ctx.obj
        day = _day(as_of) if as_of else datetime.now(factory.settings.zone).date()
        if days:
            activity_window(days=days, end=day - timedelta(days=1))  # refuse a bad window before any work
        bank = _generate(out, customers=customers, seed=seed, as_of=day, quiet=as_json)
        activity = _activity(bank, days=days, end=day - timedelta(days=1), seed=seed, quiet=as_json) if days else None
    result: dict[str, Any] = {
        "out": str(out),
        "as_of": day.isoformat(),
        "files": {k: str(p) for k, p in bank.files.items()},
        "counts": bank.counts,
    }
    if activity is not None:
        result["activity"] = _activity_summary(activity)
    emit(result, as_json=as_json, render=_render_generated)


def _activity(bank: GeneratedBank, *, days: int, end: date, seed: int, quiet: bool) -> ActivityFiles:
    """Write the bank's activity with one progress bar over transactions, then events."""
    steps = 1_000
    with progress_bar("generate activity", steps * len(ACTIVITY_KINDS), enabled=not quiet) as advance:
        return generate_activity(
            bank,
            days=days,
            end=end,
            seed=seed,
            out_dir=bank.out_dir,
            progress=lambda kind, _rows, share: advance(int((ACTIVITY_KINDS.index(kind) + share) * steps)),
        )


def _activity_summary(activity: ActivityFiles) -> dict[str, Any]:
    return {
        "first_day": activity.first_day.isoformat(),
        "last_day": activity.last_day.isoformat(),
        "files": {k: str(p) for k, p in activity.files.items()},
        "counts": activity.counts,
    }


def _render_generated(r: dict[str, Any]) -> None:
    stderr.print("wrote " + ", ".join(f"{k} {n}" for k, n in r["counts"].items()) + f" to {r['out']}")
    if "activity" in r:
        a = r["activity"]
        stderr.print(
            f"activity {a['first_day']} – {a['last_day']}: {a['counts']['transactions']} transactions, "
            f"{a['counts']['events']} events (Parquet) in {r['out']}"
        )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"--as-of {text!r} is not a date (YYYY-MM-DD)", code="bad_date") from exc


def _render_summary(r: dict[str, Any]) -> None:
    s = r["summary"]
    stderr.print(
        f"[bold]huoke demo bank[/] — {s['customers']} customers, AUM ¥{s['total_aum']}, "
        f"top 20% hold {s['top20_aum_share']:.0%} · seed {r['seed']} · as of {r['as_of']}"
    )
    imports = Table(title="imports", title_justify="left")
    for column in ("kind", "accepted", "duplicates", "rejected"):
        imports.add_column(column)
    for kind, i in r["imports"].items():
        imports.add_row(kind, str(i["accepted"]), str(i["duplicates"]), str(i["rejected"]))
    stderr.print(imports)
    for title, key in (
        ("customers by branch", "by_branch"),
        ("by age band", "by_age_band"),
        ("by AUM tier", "by_aum_tier"),
    ):
        table = Table(title=title, title_justify="left")
        table.add_column("group")
        table.add_column("customers", justify="right")
        for group, n in s[key].items():
            table.add_row(str(group), str(n))
        stderr.print(table)
    stderr.print(f"rejected rows: {r['rejected']}")
    if r.get("activity"):
        _render_activity(r["activity"])
    _render_reach(r)
    if r.get("messages"):
        _render_messages(r["messages"])
    if r.get("journeys"):
        _render_journeys(r["journeys"])


def _render_journeys(j: dict[str, Any]) -> None:
    table = Table(title=f"journeys over {j['days']} simulated days", title_justify="left")
    for column in ("journey", "entered", "holdout", "completed", "tasks", "converted (treat / hold)"):
        table.add_column(column)
    for name, r in j["journeys"].items():
        goal = r["goal"]
        converted = f"{goal['treatment']['converted']}/{goal['treatment']['entered']} · "
        converted += f"{goal['holdout']['converted']}/{goal['holdout']['entered']}"
        table.add_row(
            name, f"{r['entered']:,}", f"{r['holdout']:,}", f"{r['completed']:,}", f"{r['tasks']:,}", converted
        )
    stderr.print(table)
    messages = Table(title="journey messages (channel status/reason)", title_justify="left")
    for column in ("journey", "outcome", "messages"):
        messages.add_column(column)
    for name, outcomes in j["messages"].items():
        for outcome, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
            messages.add_row(name, outcome, f"{n:,}")
    stderr.print(messages)
    for name, why in j["refused"].items():
        stderr.print(f"not activated on the demo bank: {name} — {why}")


def _render_messages(m: dict[str, Any]) -> None:
    table = Table(title="campaign messages (status/reason)", title_justify="left")
    table.add_column("template")
    table.add_column("outcome")
    table.add_column("messages", justify="right")
    for template, outcomes in m["outcomes"].items():
        for outcome, n in sorted(outcomes.items(), key=lambda kv: -kv[1]):
            table.add_row(template, outcome, f"{n:,}")
    stderr.print(table)
    stderr.print(f"delivered files: {m['outbox']}/<channel>.jsonl · RM tasks: huoke tasks list")


def _render_reach(r: dict[str, Any]) -> None:
    for title, counts in (("customers by tag", r["tags"]["counts"]), ("saved segments (members)", r["segments"])):
        table = Table(title=title, title_justify="left")
        table.add_column("name")
        table.add_column("customers", justify="right")
        for name, n in counts.items():
            table.add_row(name, f"{n:,}")
        stderr.print(table)


def _render_activity(a: dict[str, Any]) -> None:
    loads = a["loads"]
    stderr.print(
        f"[bold]activity[/] {a['window'][0]} … {a['window'][1]}: {a['transactions']} transactions, "
        f"{a['events']} app events in the lake (rejected: {loads['transactions']['rejected']} transactions, "
        f"{loads['events']['rejected']} events) · card spend ¥{a['card_spend_yuan']:,} · "
        f"active in the last 30 days: {a['active_customers_30d']} customers"
    )
    for title, key in (
        ("transactions by type", "transactions_by_type"),
        ("top app events", "events_by_type"),
        ("customers by lifecycle stage", "lifecycle_stages"),
    ):
        table = Table(title=title, title_justify="left")
        table.add_column("group")
        table.add_column("rows", justify="right")
        for group, n in a[key].items():
            table.add_row(str(group), f"{n:,}")
        stderr.print(table)
