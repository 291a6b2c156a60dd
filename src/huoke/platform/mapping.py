"""The column mapping: a YAML file an operator writes to adapt a core-system export to our columns.

Format (every key optional; an empty file maps nothing)::

    columns:            # source column -> our column; unlisted columns pass through unchanged
      CUST_ID: customer_no
      MOBILE: phone
    values:             # per OUR column: source value -> our value; unlisted values pass through
      gender: {"男": M, "女": F, "1": M, "2": F}
    defaults:           # used when our column is missing, empty or blank
      gender: U
    drop: [INTERNAL_FLAG]   # source columns to ignore

Every scalar is read as text, exactly as written: ``01`` stays "01" (a branch code, not the number 1) and
``yes`` stays "yes". Source values that are not text (JSON lines, Parquet) are compared by their text, with
booleans as "true"/"false". Steps apply in this order: drop, rename, translate values, fill defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from huoke.platform.errors import InvalidInput

SECTIONS = ("columns", "values", "defaults", "drop")


@dataclass(frozen=True)
class ColumnMapping:
    """Renames, value translations, defaults and dropped columns; ``apply`` is pure."""

    columns: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()

    @classmethod
    def identity(cls) -> ColumnMapping:
        """The mapping that changes nothing."""
        return cls()

    @classmethod
    def load(cls, path: Path) -> ColumnMapping:
        """Read and check a mapping file; ``InvalidInput`` names the file and the key that is wrong."""
        document = _read_yaml(path)
        unknown = sorted(set(document) - set(SECTIONS))
        if unknown:
            allowed = ", ".join(SECTIONS)
            raise _invalid(path, unknown[0], f"unknown key {unknown[0]!r}; the keys are {allowed}")
        mapping = cls(
            columns=_text_table(path, "columns", document.get("columns")),
            values=_value_tables(path, document.get("values")),
            defaults=_text_table(path, "defaults", document.get("defaults")),
            drop=frozenset(_text_list(path, "drop", document.get("drop"))),
        )
        _check_columns(path, mapping)
        return mapping

    def apply(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """One source record's values as ours. Call ``apply_columns`` on the header first: it rejects a
        mapping that would make two source columns land on the same column of ours."""
        if not (self.columns or self.values or self.defaults or self.drop):  # the identity: nothing to do
            return dict(values)
        mapped = {self.columns.get(name, name): value for name, value in values.items() if name not in self.drop}
        for column, table in self.values.items():
            if column in mapped and mapped[column] is not None:
                mapped[column] = table.get(_as_text(mapped[column]), mapped[column])
        for column, default in self.defaults.items():
            if _is_empty(mapped.get(column)):
                mapped[column] = default
        return mapped

    def apply_columns(self, columns: Iterable[str]) -> tuple[str, ...]:
        """Our column names for a source header, defaulted columns included."""
        kept = [name for name in columns if name not in self.drop]
        mapped = [self.columns.get(name, name) for name in kept]
        for position, column in enumerate(mapped):
            if column in mapped[:position]:
                first = kept[mapped.index(column)]
                message = f"source columns {first!r} and {kept[position]!r} would both become {column!r}"
                raise InvalidInput(message, code="invalid_mapping", details={"column": column})
        return (*mapped, *(column for column in self.defaults if column not in mapped))


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _invalid(path: Path, key: str, message: str) -> InvalidInput:
    where = f"{path.name}, {key}" if key else path.name
    return InvalidInput(f"{where}: {message}", code="invalid_mapping", details={"file": str(path), "key": key})


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as error:
        raise _invalid(path, "", "no such mapping file") from error
    except UnicodeDecodeError as error:
        raise _invalid(path, "", "a mapping file must be saved as UTF-8") from error
    try:
        document = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds str/list/dict only
    except yaml.YAMLError as error:
        raise _invalid(path, "", f"not valid YAML: {error}") from error
    if document is None or document == "":
        return {}
    if not isinstance(document, dict):
        raise _invalid(path, "", "expected keys such as 'columns:' at the top of the file")
    return document


def _text_table(path: Path, key: str, table: object) -> dict[str, str]:
    if not table:  # an empty section: None, or "" from BaseLoader
        return {}
    if not isinstance(table, dict):
        raise _invalid(path, key, "expected 'name: value' pairs")
    for name, value in table.items():
        if not (isinstance(name, str) and name.strip() and isinstance(value, str) and value.strip()):
            raise _invalid(path, f"{key}.{name}", "expected a non-empty text value")
    return {name.strip(): value.strip() for name, value in table.items()}


def _value_tables(path: Path, tables: object) -> dict[str, dict[str, str]]:
    if not tables:
        return {}
    if not isinstance(tables, dict):
        raise _invalid(path, "values", "expected our column names, each with 'source value: our value' pairs")
    return {column.strip(): _text_table(path, f"values.{column}", table) for column, table in tables.items()}


def _text_list(path: Path, key: str, items: object) -> list[str]:
    if not items:
        return []
    if not isinstance(items, list) or not all(isinstance(item, str) and item.strip() for item in items):
        raise _invalid(path, key, "expected a list of column names, e.g. [INTERNAL_FLAG]")
    return [item.strip() for item in items]


def _check_columns(path: Path, mapping: ColumnMapping) -> None:
    targets: dict[str, str] = {}
    for source, target in mapping.columns.items():
        if source in mapping.drop:
            raise _invalid(path, f"columns.{source}", "the column is also listed under 'drop'")
        if target in targets:
            message = f"both {targets[target]!r} and {source!r} are mapped to {target!r}"
            raise _invalid(path, f"columns.{source}", message)
        targets[target] = source
