"""Event `properties` as JSON object text, assembled column-wise from vocabulary and numbers (no per-row code).

Rows are grouped by event type, each group's text is joined from fixed pieces and looked-up values, and the
groups are put back in row order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from huoke.demo.activity_columns import EVENT_TYPES, EventColumns
from huoke.demo.activity_draws import Ints
from huoke.demo.activity_vocab import (
    APP_VERSIONS,
    COUPONS,
    FORMS,
    LOGIN_METHODS,
    PAGES,
    QUERIES,
    REPLIES,
    SHARE_TO,
    SURVEYS,
    SYSTEMS,
    TARGETS,
)

Builder = Callable[[Ints, Ints, Any], Any]


def _text(vocabulary: tuple[str, ...] | Any, index: Ints) -> Any:
    values = pa.array(vocabulary, pa.string()) if isinstance(vocabulary, tuple) else vocabulary
    return values.take(pa.array(index))


def _number(values: Ints) -> Any:
    return pc.cast(pa.array(values), pa.string())


def _join(*parts: Any) -> Any:
    return pc.binary_join_element_wise(*parts, "")


_BUILDERS: dict[str, Builder] = {
    "app_open": lambda a, b, _: _join(
        '{"app_version": "', _text(APP_VERSIONS, a), '", "os": "', _text(SYSTEMS, b), '"}'
    ),
    "login": lambda a, _b, _p: _join('{"method": "', _text(LOGIN_METHODS, a), '"}'),
    "page_view": lambda a, _b, _p: _join('{"page": "', _text(PAGES, a), '"}'),
    "product_view": lambda a, b, codes: _join(
        '{"product_code": "', _text(codes, a), '", "dwell_seconds": ', _number(b), "}"
    ),
    "search": lambda a, b, _: _join('{"query": "', _text(QUERIES, a), '", "results": ', _number(b), "}"),
    "click": lambda a, _b, _p: _join('{"target": "', _text(TARGETS, a), '"}'),
    "form_submit": lambda a, _b, _p: _join('{"form": "', _text(FORMS, a), '"}'),
    "share": lambda a, b, codes: _join('{"target": "product/', _text(codes, a), '", "to": "', _text(SHARE_TO, b), '"}'),
    "coupon_redeemed": lambda a, b, _: _join(
        '{"coupon_code": "', _text(COUPONS, a), '", "order_amount": ', _number(b), "}"
    ),
    "survey_answered": lambda a, b, _: _join('{"survey_id": "', _text(SURVEYS, a), '", "score": ', _number(b), "}"),
    "message_replied": lambda a, b, _: _join('{"message_id": "M', _number(a), '", "text": "', _text(REPLIES, b), '"}'),
}
assert set(_BUILDERS) == set(EVENT_TYPES)  # noqa: S101 - every event type has its properties


def json_safe(values: Any) -> Any:
    """Escape backslashes and quotes so the strings can sit inside JSON quotes."""
    escaped = pc.replace_substring(values, "\\", "\\\\")
    return pc.replace_substring(escaped, '"', '\\"')


def properties(columns: EventColumns, product_codes: Any) -> Any:
    """One JSON object text per event, in the rows' order."""
    order = np.argsort(columns.type, kind="stable")
    bounds = np.searchsorted(columns.type[order], np.arange(len(EVENT_TYPES) + 1))
    pieces = []
    for index, name in enumerate(EVENT_TYPES):
        rows = order[bounds[index] : bounds[index + 1]]
        if len(rows):
            pieces.append(_BUILDERS[name](columns.a[rows], columns.b[rows], product_codes))
    if not pieces:
        return pa.array([], pa.string())
    grouped = pa.concat_arrays(pieces)
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    return grouped.take(pa.array(inverse))
