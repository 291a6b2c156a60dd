"""Tag use cases: define a rule tag, refresh the computed and rule tags, list tags and a customer's tags.
Each opens one unit of work and commits once; the manual CSV import lives in ``tag_import``.

A refresh computes every tag at ``as_of`` over the lake (set-based, in the query engine), diffs the result
against the open rows of the store (assigning and removing in bulk, with history), commits, and then writes
the tags held now as the lake snapshot ``tags(one_id, tag)`` that segment rules read.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import ibis  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.compute as pc

from huoke.customers import service as customers
from huoke.platform.errors import ConfigurationError, Conflict, HuokeError, InvalidInput, NotFound
from huoke.platform.lake import Lake
from huoke.platform.query import QueryEngine, open_engine
from huoke.platform.runtime import Runtime
from huoke.platform.settings import Settings
from huoke.platform.store import append_audit
from huoke.segments import tag_store as store
from huoke.segments.compile import NotCompiled, compile_rule
from huoke.segments.compile_tables import Tables
from huoke.segments.core import Core
from huoke.segments.dsl import parse_rule
from huoke.segments.normalise import normalise
from huoke.segments.tag_compute import computed_tags
from huoke.segments.tag_model import TagThresholds, check_own_name, rule_tag_order, tag_references

THRESHOLDS_FILE = "tags.toml"
TAGS_TABLE = "tags"
Progress = Callable[[int, int], None]
_BATCH = 50_000
_PAIR = pa.schema([("one_id", pa.string()), ("tag", pa.string())])


def load_thresholds(settings: Settings) -> TagThresholds:
    """The thresholds of ``tag_thresholds_file``, else of ``<data-dir>/tags.toml`` when present, else defaults."""
    path = settings.tag_thresholds_file
    if path is None:
        path = settings.data_dir / THRESHOLDS_FILE
        if not path.is_file():
            return TagThresholds()
    try:
        text = Path(path).read_text(encoding="utf-8")
        document = json.loads(text) if Path(path).suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as exc:
        raise ConfigurationError(
            f"tag thresholds file {path}: cannot read ({exc.strerror})", code="bad_tag_thresholds"
        ) from exc
    except ValueError as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise ConfigurationError(f"tag thresholds file {path}: {exc}", code="bad_tag_thresholds") from exc
    return TagThresholds.read(document, str(path))


@contextmanager
def one_writer(what: str) -> Iterator[None]:
    """A second open row for a customer and tag (another refresh or import wrote it meanwhile) is a conflict."""
    try:
        yield
    except Exception as exc:
        if not store.duplicate_open_row(exc):
            raise
        raise Conflict(
            f"{what}: another tags refresh or import changed the same customers' tags at the same time; run it again",
            code="tags_changed_concurrently",
        ) from exc


# --- rule tags -----------------------------------------------------------------------------------------------


def define_rule_tag(
    runtime: Runtime, *, name: str, rule: Any, description: str | None = None, actor: str
) -> dict[str, Any]:
    """Create a rule tag, or give an existing one a new rule (its version goes up; the same rule changes nothing).

    The rule is validated (``InvalidInput`` with the JSON path of the offending node); the tags it names must
    exist (computed, rule or manual), and rule tags may not refer to each other in a cycle.
    """
    name = check_own_name(name)
    thresholds = load_thresholds(runtime.settings)
    with runtime.uow() as uow:
        session = uow.session
        defined = {row.name: row for row in store.definitions(session)}
        current = defined.get(name)
        if current is not None and current.kind != "rule":
            raise Conflict(
                f"tag {name!r} is a {current.kind} tag; choose another name for the rule tag", code="tag_kind_conflict"
            )
        known = set(thresholds.computed_names()) | set(defined) | {name}
        now = runtime.now()
        document, tree = _checked_rule(name, rule, known, now, runtime.settings.zone)
        others = {row.name: _references(row.rule) for row in defined.values() if row.kind == "rule"}
        rule_tag_order({**others, name: tag_references(tree)})
        row, changed = _store_rule(
            session, current=current, name=name, document=document, description=description, now=now
        )
        if changed:
            append_audit(session, at=now, actor=actor, action="tags.define", subject=name, detail={"rule": document})
        uow.commit()
        return {**_definition(row), "changed": changed}


def _checked_rule(name: str, rule: Any, known: set[str], now: datetime, zone: tzinfo) -> tuple[dict[str, Any], Core]:
    try:
        parsed = parse_rule(rule, known_tags=known)
        tree = normalise(parsed)
        compile_rule(tree, Tables.from_arrow({}), now, zone)  # refuses what the lake cannot answer
    except InvalidInput as exc:
        raise InvalidInput(f"rule tag {name}: {exc.message}", code=exc.code, details=exc.details) from exc
    except NotCompiled as exc:
        raise InvalidInput(f"rule tag {name}: {exc}", code="rule_not_compiled") from exc
    document: dict[str, Any] = parsed.to_json()
    return document, tree


def _references(rule: dict[str, Any] | None) -> set[str]:
    """The tags a stored rule names; none for a rule that no longer reads (its refresh reports why)."""
    try:
        return tag_references(normalise(parse_rule(rule)))
    except InvalidInput:
        return set()


def _store_rule(
    session: Any,
    *,
    current: store.TagDefinitionRow | None,
    name: str,
    document: dict[str, Any],
    description: str | None,
    now: datetime,
) -> tuple[store.TagDefinitionRow, bool]:
    if current is None:
        row = store.TagDefinitionRow(
            name=name, kind="rule", rule=document, description=description, version=1, created_at=now, updated_at=now
        )
        session.add(row)
        return row, True
    if current.rule == document and (description is None or description == current.description):
        return current, False
    if current.rule != document:
        current.version += 1
        current.rule = document
    current.description = description if description is not None else current.description
    current.updated_at = now
    return current, True


def _definition(row: store.TagDefinitionRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "version": row.version,
        "rule": row.rule,
        "description": row.description,
        "updated_at": row.updated_at.isoformat(),
    }


# --- refresh -------------------------------------------------------------------------------------------------


@dataclass
class _Found:
    """The tags found by a refresh (``one_id, tag, kind``), and the rule tags that could not be evaluated."""

    tags: pa.Table
    failed: dict[str, str] = field(default_factory=dict)


def refresh_tags(
    runtime: Runtime, *, as_of: datetime | None = None, actor: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Compute every computed and rule tag at ``as_of`` (default now), record what changed, and write the
    lake's ``tags`` snapshot. A rule tag that cannot be evaluated keeps its holders and is reported."""
    now = runtime.now()
    as_of = as_of or now
    thresholds = load_thresholds(runtime.settings)
    lake = Lake.from_settings(runtime.settings)
    engine = open_engine(runtime.settings, lake)
    tick = progress or (lambda _done, _total: None)
    try:
        with one_writer("tags refresh"), runtime.uow() as uow:
            session = uow.session
            held = store.open_tags(session)
            rules = {row.name: row.rule or {} for row in store.definitions(session) if row.kind == "rule"}
            found = _find(
                engine,
                held=held,
                rules=rules,
                as_of=as_of,
                zone=runtime.settings.zone,
                thresholds=thresholds,
                tick=tick,
            )
            assign, remove = _diff(engine, held, found)
            by = f"refresh as of {as_of.astimezone(runtime.settings.zone).isoformat()}"
            assigned = store.assign(session, _triples(assign), at=now, by=by)
            removed = store.close_ids(session, remove.column("id").to_pylist(), at=now, by=by)
            report = _report(as_of, runtime.settings.zone, assigned, removed, found)
            append_audit(session, at=now, actor=actor, action="tags.refresh", subject="tags", detail=report)
            uow.commit()
        snapshot = _snapshot_after_refresh(held, found)
        lake.replace_snapshot(TAGS_TABLE, snapshot)
        tick(len(rules) + 2, len(rules) + 2)
    finally:
        engine.close()
    return {**report, "held": snapshot.num_rows, "by_tag": _counts(snapshot)}


def _find(
    engine: QueryEngine,
    *,
    held: pa.Table,
    rules: Mapping[str, dict[str, Any]],
    as_of: datetime,
    zone: tzinfo,
    thresholds: TagThresholds,
    tick: Progress,
) -> _Found:
    """Computed tags first, then rule tags in dependency order, each reading the tags found before it."""
    tables = Tables.from_engine(engine)
    total = len(rules) + 2
    computed = _run(engine, computed_tags(tables, as_of, zone, thresholds), "computed")
    tick(1, total)
    manual = held.filter(pc.equal(held.column("kind"), "manual")).select(["one_id", "tag", "kind"])
    found = _Found(computed)
    known = pa.concat_tables([computed, manual])
    for done, name in enumerate(rule_tag_order({n: _references(r) for n, r in rules.items()}), start=2):
        try:
            tree = normalise(parse_rule(rules[name]))
            with_tags = replace(tables, tags=ibis.memtable(known.select(["one_id", "tag"])))
            members = compile_rule(tree, with_tags, as_of, zone)
            rows = _run(engine, members.select(one_id=members.one_id, tag=ibis.literal(name, type="string")), "rule")
            found.tags = pa.concat_tables([found.tags, rows])
        except (HuokeError, NotCompiled) as exc:
            found.failed[name] = str(exc)
            rows = held.filter(pc.equal(held.column("tag"), name)).select(["one_id", "tag", "kind"])
        known = pa.concat_tables([known, rows])
        tick(done, total)
    return found


def _run(engine: QueryEngine, expression: Any, kind: str) -> pa.Table:
    """Run an Ibis ``(one_id, tag)`` query; the rows with their kind."""
    data = engine.backend.to_pyarrow(expression.select("one_id", "tag"))
    pairs = pa.Table.from_arrays([data.column("one_id").cast(pa.string()), data.column("tag").cast(pa.string())],
                                 schema=_PAIR)  # fmt: skip
    return pairs.append_column("kind", pa.array([kind] * pairs.num_rows, pa.string()))


def _diff(engine: QueryEngine, held: pa.Table, found: _Found) -> tuple[pa.Table, pa.Table]:
    """``tag_model.tag_changes`` set-based: found rows not held (to assign) and ids of held rows of the
    computed and evaluated rule tags that were not found (to remove)."""
    keep = pc.is_in(held.column("kind"), pa.array(["computed", "rule"]))
    if found.failed:
        keep = pc.and_(keep, pc.invert(pc.is_in(held.column("tag"), pa.array(sorted(found.failed)))))
    scoped = ibis.memtable(held.filter(keep))
    now = ibis.memtable(found.tags)
    assign = now.anti_join(scoped, ["one_id", "tag"]).order_by(["tag", "one_id"])
    remove = scoped.anti_join(now, ["one_id", "tag"]).select("id").order_by("id")
    return engine.backend.to_pyarrow(assign), engine.backend.to_pyarrow(remove)


def _triples(table: pa.Table) -> Iterator[tuple[str, str, str]]:
    """The rows as (one_id, tag, kind), converted batch by batch to keep memory flat."""
    for batch in table.select(["one_id", "tag", "kind"]).to_batches(max_chunksize=_BATCH):
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _report(as_of: datetime, zone: tzinfo, assigned: int, removed: int, found: _Found) -> dict[str, Any]:
    return {
        "as_of": as_of.astimezone(zone).isoformat(),
        "assigned": assigned,
        "removed": removed,
        "errors": [{"tag": name, "reason": reason} for name, reason in sorted(found.failed.items())],
    }


def _snapshot_after_refresh(held: pa.Table, found: _Found) -> pa.Table:
    """The tags held now: those found, the manual ones, and the held ones of rule tags that failed."""
    kept = pc.equal(held.column("kind"), "manual")
    if found.failed:
        kept = pc.or_(kept, pc.is_in(held.column("tag"), pa.array(sorted(found.failed))))
    return pa.concat_tables([found.tags.select(["one_id", "tag"]), held.filter(kept).select(["one_id", "tag"])])


def write_snapshot(runtime: Runtime) -> int:
    """Write the tags held now in the store as the lake's ``tags`` snapshot; the number of rows."""
    with runtime.uow() as uow:
        held = store.open_tags(uow.session)
    snapshot = held.select(["one_id", "tag"])
    Lake.from_settings(runtime.settings).replace_snapshot(TAGS_TABLE, snapshot)
    return int(snapshot.num_rows)


def _counts(snapshot: pa.Table) -> dict[str, int]:
    counted = snapshot.group_by("tag").aggregate([("one_id", "count")])
    pairs = zip(counted.column("tag").to_pylist(), counted.column("one_id_count").to_pylist(), strict=True)
    return dict(sorted(pairs))


# --- reading -------------------------------------------------------------------------------------------------


def list_tags(runtime: Runtime) -> dict[str, Any]:
    """Every tag: the computed ones (from the thresholds) and the rule and manual ones, with their holders now."""
    thresholds = load_thresholds(runtime.settings)
    with runtime.uow() as uow:
        holders = store.holder_counts(uow.session)
        own = [{**_definition(row), "holders": holders.get(row.name, 0)} for row in store.definitions(uow.session)]
    computed = [
        {"name": name, "kind": "computed", "description": meaning, "holders": holders.get(name, 0)}
        for name, meaning in thresholds.computed_names().items()
    ]
    return {"tags": computed + own}


def customer_tags(runtime: Runtime, *, customer_no: str | None = None, one_id: str | None = None) -> dict[str, Any]:
    """One customer's tags now (name, kind, assigned_at) and their whole history, by customer number or ONE_ID."""
    if (customer_no is None) == (one_id is None):
        raise InvalidInput("give exactly one of customer_no, one_id", code="bad_lookup")
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        session = uow.session
        unit = (
            one_id
            if one_id is not None
            else customers.units_of_customers(session, [str(customer_no)]).get(str(customer_no))
        )
        if unit is None:
            raise NotFound(f"no customer with customer_no {customer_no}", code="customer_not_found")
        profile = customers.profile_of(session, unit)
        rows = store.history(session, customers.profile_units(session, profile))
        number = customers.customer_numbers(session, [profile]).get(profile)
        return {"one_id": profile, "customer_no": number, "tags": _current(rows, zone), "history": _history(rows, zone)}


def tags_section(runtime: Runtime, one_id: str) -> list[dict[str, Any]]:
    """The customer's tags now, for the 360° view (``huoke customers show`` and the customers API)."""
    zone = runtime.settings.zone
    with runtime.uow() as uow:
        rows = store.history(uow.session, customers.profile_units(uow.session, one_id))
        return _current(rows, zone)


def _current(rows: list[store.CustomerTagRow], zone: tzinfo) -> list[dict[str, Any]]:
    held: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.removed_at is None and row.tag not in held:
            held[row.tag] = {
                "name": row.tag,
                "kind": row.kind,
                "assigned_at": row.assigned_at.astimezone(zone).isoformat(),
            }
    return sorted(held.values(), key=lambda tag: (tag["kind"], tag["name"]))


def _history(rows: list[store.CustomerTagRow], zone: tzinfo) -> list[dict[str, Any]]:
    return [
        {
            "name": row.tag,
            "kind": row.kind,
            "assigned_at": row.assigned_at.astimezone(zone).isoformat(),
            "assigned_by": row.assigned_by,
            "removed_at": row.removed_at.astimezone(zone).isoformat() if row.removed_at else None,
            "removed_by": row.removed_by,
        }
        for row in rows
    ]
