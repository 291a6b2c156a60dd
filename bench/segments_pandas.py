"""The ten benchmark rules as an analyst would write them in pandas, reading the lake's Parquet files.

Each rule reads only the columns it needs, with its filters pushed into the Parquet reader (row groups and
date partitions outside the window are skipped), ``one_id`` as a category, then works in pandas. Every rule
reads what it needs afresh, as the other sides do: nothing is cached between rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from bench.segments_data import AS_OF, ZONE
from bench.segments_rules import TODAY
from huoke.platform.lake import Lake

_DATE_PARTS = ds.partitioning(pa.schema([("date", pa.date32())]), flavor="hive")


class PandasLake:
    """The lake's live files, read into pandas."""

    def __init__(self, root: Path) -> None:
        lake = Lake(root, ZONE)
        self._root = root
        self._files = {name: [str(f.path) for f in lake.files(name)] for name in ("transactions", "events")}
        self._snapshots = {name: str(lake.snapshot_path(name)) for name in ("customers", "holdings", "org_units")}

    def snapshot(self, name: str, columns: list[str]) -> pd.DataFrame:
        table = ds.dataset(self._snapshots[name]).to_table(columns=columns)
        return table.to_pandas(date_as_object=False)

    def rows(self, name: str, columns: list[str], where: Any, days: int | None = None) -> pd.DataFrame:
        """Rows of ``transactions`` / ``events`` passing ``where`` (a pyarrow expression) in the last ``days``."""
        dataset = ds.dataset(
            self._files[name],
            format="parquet",
            partitioning=_DATE_PARTS,
            partition_base_dir=str(self._root / name),
        )
        keep = where & (pc.field("occurred_at") <= pa.scalar(AS_OF, pa.timestamp("us", tz="UTC")))
        if days is not None:
            keep &= pc.field("date") >= pa.scalar(TODAY - timedelta(days=days - 1), pa.date32())
        table = dataset.to_table(columns=columns, filter=keep)
        if "one_id" in columns:
            index = columns.index("one_id")
            table = table.set_column(index, "one_id", table.column("one_id").dictionary_encode())
        return table.to_pandas(date_as_object=False)

    def profiles(self) -> pd.Index:
        c = self.snapshot("customers", ["one_id", "merged_into", "status"])
        live = c.merged_into.isna() & (c.status.isna() | (c.status != "merged"))
        return pd.Index(c.one_id[live])

    def units(self) -> pd.Series:
        """identity unit → live profile."""
        c = self.snapshot("customers", ["one_id", "merged_into", "status"])
        profiles = set(self.profiles())
        target = c.merged_into.fillna(c.one_id)
        mapping = pd.Series(target.to_numpy(), index=c.one_id.to_numpy())
        return mapping[mapping.isin(profiles)]


def _profile_of(frame: pd.DataFrame, units: pd.Series) -> pd.Series:
    return frame.one_id.map(units).astype("object")


def _in(ids: Any, profiles: pd.Index) -> set[str]:
    return set(pd.Index(ids).intersection(profiles))


def _eq(column: str, value: Any) -> Any:
    return pc.field(column) == value


def _props(frame: pd.DataFrame) -> pd.DataFrame:
    parsed = frame.properties.map(json.loads)
    return pd.DataFrame({"product_code": parsed.str.get("product_code"), "dwell": parsed.str.get("dwell_seconds")})


def _wm_views(lake: PandasLake, days: int, columns: list[str]) -> pd.DataFrame:
    e = lake.rows("events", [*columns, "properties"], _eq("type", "product_view"), days)
    props = _props(e)
    e["dwell"] = pd.to_numeric(props.dwell, errors="coerce")
    starts = props.product_code.map(lambda v: isinstance(v, str) and v.startswith("WM-")).astype(bool)
    return e[starts]


def _live_customers(lake: PandasLake, columns: list[str]) -> pd.DataFrame:
    c = lake.snapshot("customers", ["one_id", "merged_into", "status", *columns])
    return c[c.merged_into.isna() & (c.status.isna() | (c.status != "merged"))]


def _mmdd(born: pd.Series) -> pd.Series:
    return born.dt.month * 100 + born.dt.day


def r01(lake: PandasLake) -> set[str]:
    c = _live_customers(lake, ["birth_date", "branch_code"])
    born = c.birth_date
    age = TODAY.year - born.dt.year - (_mmdd(born) > TODAY.month * 100 + TODAY.day).astype(int)
    org = lake.snapshot("org_units", ["code", "path"])
    below = set(org.code[org.path.str.contains("/BR01/", regex=False)]) | {"BR01"}
    h = lake.snapshot("holdings", ["one_id", "product_type", "status", "opened_at", "balance_fen"])
    h = h[h.product_type.isin(["demand_deposit", "time_deposit"]) & (h.status == "active") & _opened(h)]
    totals = h.groupby("one_id").balance_fen.sum()
    rich = set(totals.index[totals >= 10_000_000])
    keep = age.between(60, 75) & c.branch_code.isin(below) & c.one_id.isin(rich)
    return set(c.one_id[keep])


def _opened(h: pd.DataFrame) -> pd.Series:
    return h.opened_at.isna() | (h.opened_at <= pd.Timestamp(TODAY))


def r02(lake: PandasLake) -> set[str]:
    h = lake.snapshot("holdings", ["one_id", "product_type", "status", "opened_at"])
    h = h[(h.product_type == "credit_card") & (h.status == "active") & _opened(h)]
    counts = h.groupby("one_id").size()
    return _in(counts.index[counts >= 2], lake.profiles())


def r03(lake: PandasLake) -> set[str]:
    where = _eq("txn_type", "card_spend") & _eq("direction", "debit")
    t = lake.rows("transactions", ["one_id", "amount_fen"], where, 365)
    totals = t.groupby("one_id", observed=True).amount_fen.sum()
    return _in(totals.index[totals >= 1_000_000].astype(str), lake.profiles())


def r04(lake: PandasLake) -> set[str]:
    e = lake.rows("events", ["one_id", "date"], _eq("type", "login"), 30)
    e["profile"] = _profile_of(e, lake.units())
    days = e.dropna(subset=["profile"]).groupby("profile").date.nunique()
    return set(days.index[days >= 6])


def r05(lake: PandasLake) -> set[str]:
    views = _wm_views(lake, 7, ["one_id", "occurred_at"])
    views = views[(views.dwell >= 60) & (views.occurred_at <= pd.Timestamp(AS_OF - timedelta(hours=48)))]
    views = views.assign(profile=_profile_of(views, lake.units())).dropna(subset=["profile"])
    views = views.reset_index(drop=True).rename_axis("view").reset_index()
    bought = lake.rows("transactions", ["one_id", "occurred_at"], _eq("txn_type", "wealth_purchase"), 7)
    bought = bought.assign(profile=bought.one_id.astype(str)).rename(columns={"occurred_at": "bought_at"})
    pairs = views.merge(bought[["profile", "bought_at"]], on="profile")
    followed = pairs.view[
        (pairs.bought_at > pairs.occurred_at) & (pairs.bought_at <= pairs.occurred_at + pd.Timedelta(hours=48))
    ]
    return set(views.profile[~views.view.isin(followed)])


def r06(lake: PandasLake) -> set[str]:
    t = lake.rows("transactions", ["one_id", "amount_fen", "date"], _eq("txn_type", "card_spend"), 365)
    g = t.groupby("one_id", observed=True).agg(last=("date", "max"), n=("date", "size"), total=("amount_fen", "sum"))
    keep = (g["last"] >= pd.Timestamp(TODAY - timedelta(days=30))) & (g.n >= 24) & (g.total >= 2_000_000)
    return _in(g.index[keep].astype(str), lake.profiles())


def r07(lake: PandasLake) -> set[str]:
    logins = lake.rows("events", ["one_id"], _eq("type", "login"), 90)
    seen = set(_profile_of(logins.drop_duplicates(), lake.units()).dropna())
    paying = lake.rows("transactions", ["one_id"], pc.scalar(True), 90)
    seen |= set(paying.one_id.cat.categories[paying.one_id.cat.codes.unique()])
    profiles = lake.profiles()
    return set(profiles[~profiles.isin(seen)])


def r08(lake: PandasLake) -> set[str]:
    c = _live_customers(lake, ["birth_date"])
    last = TODAY + timedelta(days=6)
    mmdd = _mmdd(c.birth_date)
    return set(c.one_id[mmdd.between(TODAY.month * 100 + TODAY.day, last.month * 100 + last.day)])


def r09(lake: PandasLake) -> set[str]:
    views = _wm_views(lake, 30, ["one_id"])
    views = views.assign(profile=_profile_of(views, lake.units())).dropna(subset=["profile"])
    totals = views.groupby("profile").dwell.sum()
    return set(totals.index[totals >= 300])


def r10(lake: PandasLake) -> set[str]:
    h = lake.snapshot("holdings", ["one_id", "product_type", "card_level", "opened_at"])
    carded = h[(h.product_type == "credit_card") & h.card_level.isin(["gold", "platinum", "diamond"]) & _opened(h)]
    first = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    last_month = lake.rows(
        "transactions",
        ["one_id", "date"],
        _eq("txn_type", "card_spend") & (pc.field("date") >= pa.scalar(first, pa.date32())),
        None,
    )
    last_month = last_month[last_month.date < pd.Timestamp(TODAY.replace(day=1))]
    counts = last_month.groupby("one_id", observed=True).size()
    spent = set(counts.index[counts >= 5].astype(str))
    c = _live_customers(lake, ["city", "gender"])
    paid = lake.rows("transactions", ["one_id"], _eq("txn_type", "salary"), 90)
    paid_ids = set(paid.one_id.astype(str))
    unpaid = c.one_id[c.city.isin(["杭州市", "宁波市"]) & (c.gender == "F") & ~c.one_id.isin(paid_ids)]
    members = (set(carded.one_id) & spent) | set(unpaid)
    return _in(list(members), lake.profiles())


PANDAS_RULES: dict[str, Callable[[PandasLake], set[str]]] = {
    "age_branch_deposits": r01,
    "two_credit_cards": r02,
    "high_spenders": r03,
    "active_users": r04,
    "wealth_view_no_purchase": r05,
    "rfm_champions": r06,
    "dormant_90_days": r07,
    "birthday_next_7_days": r08,
    "wealth_browsers": r09,
    "cards_or_unpaid_women": r10,
}
