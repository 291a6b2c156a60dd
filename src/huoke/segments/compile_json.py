"""One key of a JSON object text column, as its JSON type and its text, the same way on every query backend.

Custom attributes (``customers.attributes``) and event properties (``events.properties``) are JSON object texts.
Ibis' own JSON operations differ between backends (and run as Python UDFs on Spark), so each backend's built-in
functions are called here and their answers brought to one form:

- ``kind``: ``string``, ``number``, ``boolean``, ``null`` (JSON null), ``other`` (object or array), or NULL when
  the key is absent;
- ``text``: a string's content, a number's digits as the backend prints them (``7.5``, ``1e-7``, ``1.0E-7``),
  ``true`` / ``false``; NULL for JSON null and absent keys.

DuckDB uses ``json_type`` / ``json_extract_string``, PostgreSQL ``json_typeof`` / ``json_extract_path_text``
over ``CAST(… AS JSON)``, Spark (4.0 and later) ``try_parse_json`` / ``variant_get`` / ``schema_of_variant``.
huoke writes these columns as JSON only; a text that is not JSON would stop the query on DuckDB and PostgreSQL
and read as absent keys on Spark.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import ibis  # type: ignore[import-untyped]
import ibis.expr.datatypes as dt  # type: ignore[import-untyped]

Dialect = Literal["duckdb", "postgres", "pyspark"]
DIALECTS: tuple[Dialect, ...] = get_args(Dialect)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # custom attribute and event property names (the DSL's rule)


@dataclass(frozen=True)
class JsonValue:
    """The JSON type of one key (``kind``) and its text."""

    kind: Any
    text: Any


def builtin(name: str, args: tuple[Any, ...], returns: Any) -> Callable[..., Any]:
    """A backend's own SQL function, called by name with ``args`` typed as given (no Python runs in the database)."""
    shapes: dict[int, Callable[..., None]] = {1: lambda a: None, 2: lambda a, b: None, 3: lambda a, b, c: None}
    return ibis.udf.scalar.builtin(shapes[len(args)], name=name, signature=(args, returns))  # type: ignore[no-any-return]


# variant (Spark) and json (PostgreSQL) values only pass from one function to the next; binary stands in for them
_duckdb_type = builtin("json_type", (dt.string, dt.string), dt.string)
_duckdb_text = builtin("json_extract_string", (dt.string, dt.string), dt.string)
_pg_path = builtin("json_extract_path", (dt.json, dt.string), dt.json)
_pg_type = builtin("json_typeof", (dt.json,), dt.string)
_pg_text = builtin("json_extract_path_text", (dt.json, dt.string), dt.string)
_spark_parse = builtin("try_parse_json", (dt.string,), dt.binary)  # sqlglot drops parse_json() from Spark SQL
_spark_get = builtin("variant_get", (dt.binary, dt.string), dt.binary)
_spark_get_as = builtin("variant_get", (dt.binary, dt.string, dt.string), dt.string)
_spark_type = builtin("schema_of_variant", (dt.binary,), dt.string)


def json_value(document: Any, key: str, dialect: Dialect) -> JsonValue:
    """``key`` of the JSON object text column ``document`` on ``dialect``."""
    if not _KEY.match(key):
        raise ValueError(f"not a property name: {key!r}")
    if dialect == "duckdb":
        return _duckdb(document, f"$.{key}")
    if dialect == "postgres":
        return _postgres(document, key)
    if dialect == "pyspark":
        return _spark(document, f"$.{key}")
    raise ValueError(f"unknown query dialect {dialect!r}; expected one of {', '.join(DIALECTS)}")


def _duckdb(document: Any, path: str) -> JsonValue:
    kind = _duckdb_type(document, path)
    numbers = ("BIGINT", "UBIGINT", "HUGEINT", "DOUBLE")
    return JsonValue(_kind(kind, string=kind == "VARCHAR", number=kind.isin(numbers), boolean=kind == "BOOLEAN",
                           null=kind == "NULL"), _duckdb_text(document, path))  # fmt: skip


def _postgres(document: Any, key: str) -> JsonValue:
    parsed = document.cast("json")
    kind = _pg_type(_pg_path(parsed, key))
    return JsonValue(_kind(kind, string=kind == "string", number=kind == "number", boolean=kind == "boolean",
                           null=kind == "null"), _pg_text(parsed, key))  # fmt: skip


def _spark(document: Any, path: str) -> JsonValue:
    parsed = _spark_parse(document)
    kind = _spark_type(_spark_get(parsed, path))
    number = kind.startswith("DECIMAL") | kind.isin(("TINYINT", "SMALLINT", "INT", "BIGINT", "FLOAT", "DOUBLE"))
    return JsonValue(_kind(kind, string=kind == "STRING", number=number, boolean=kind == "BOOLEAN",
                           null=kind == "VOID"), _spark_get_as(parsed, path, "string"))  # fmt: skip


def _kind(found: Any, *, string: Any, number: Any, boolean: Any, null: Any) -> Any:
    return ibis.cases(
        (found.isnull(), ibis.null().cast("string")),
        (string, "string"),
        (number, "number"),
        (boolean, "boolean"),
        (null, "null"),
        else_="other",
    )
