"""Importers for reference data: org units, staff, products."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import FromClause, func, select, update
from sqlalchemy.orm import Session

from huoke.customers import model as m
from huoke.customers import rows as parse
from huoke.customers.importing import ApplyContext, ParsedRow, RowOutcome, row_hash
from huoke.customers.rows import RowContext
from huoke.customers.store import OrgUnitRow, ProductRow, StaffRow
from huoke.platform.crypto import mask_phone


def _upsert(session: Session, row_type: Any, key: str, values: dict[str, Any]) -> str:
    """Insert or update one row by primary key; 'duplicate' when nothing changed."""
    existing = session.get(row_type, key)
    if existing is None:
        session.add(row_type(**values))
        return "accepted"
    if existing.row_hash == values["row_hash"]:
        return "duplicate"
    for column, value in values.items():
        setattr(existing, column, value)
    return "accepted"


class OrgImporter:
    kind = "org"
    required: tuple[str, ...] = ("code", "name", "level")
    lookup_tables: tuple[FromClause, ...] = ()

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_org(values, ctx)

    def key(self, record: m.OrgUnit) -> str:
        return record.code

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> Sequence[ParsedRow]:
        return rows

    def apply(self, session: Session, rows: Sequence[ParsedRow], ctx: ApplyContext) -> list[RowOutcome]:
        """Parents first: a row waits until its parent is stored or appears later in the same file."""
        pending = [(row.row, row.record) for row in rows]
        outcomes: list[RowOutcome] = []
        while pending:
            ready = [(n, r) for n, r in pending if _parent_stored(session, r)]
            if not ready:
                break
            for number, record in ready:
                outcomes.append(RowOutcome(number, self._store(session, record, ctx)))  # type: ignore[arg-type]
            session.flush()
            pending = [p for p in pending if p not in ready]
        outcomes += [
            RowOutcome(
                n,
                "rejected",
                m.RowProblem("parent_code", r.parent_code or "", f"unknown org unit {r.parent_code}; import it first"),
            )
            for n, r in pending
        ]
        return outcomes

    def _store(self, session: Session, record: m.OrgUnit, ctx: ApplyContext) -> str:
        parent = session.get(OrgUnitRow, record.parent_code) if record.parent_code else None
        path = m.org_path(parent.path if parent else None, record.code)
        existing = session.get(OrgUnitRow, record.code)
        if existing is not None and existing.path != path:
            _move_subtree(session, existing.path, path)
        values = {
            "code": record.code,
            "name": record.name,
            "parent_code": record.parent_code,
            "level": record.level,
            "path": path,
            "row_hash": row_hash(ctx.cipher, self.kind, record),
            "updated_at": ctx.now,
        }
        return _upsert(session, OrgUnitRow, record.code, values)


def _parent_stored(session: Session, record: m.OrgUnit) -> bool:
    return record.parent_code is None or session.get(OrgUnitRow, record.parent_code) is not None


def _move_subtree(session: Session, old_path: str, new_path: str) -> None:
    """Re-root the materialised paths of every unit below a unit that moved in the tree."""
    session.execute(
        update(OrgUnitRow)
        .where(OrgUnitRow.path.startswith(old_path))
        .values(path=new_path + func.substr(OrgUnitRow.path, len(old_path) + 1))
    )


class StaffImporter:
    kind = "staff"
    required: tuple[str, ...] = ("staff_no", "name", "org_code", "role")
    lookup_tables: tuple[FromClause, ...] = ()

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_staff(values, ctx)

    def key(self, record: m.Staff) -> str:
        return record.staff_no

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> Sequence[ParsedRow]:
        return rows

    def apply(self, session: Session, rows: Sequence[ParsedRow], ctx: ApplyContext) -> list[RowOutcome]:
        return [RowOutcome(n, self._store(session, r, ctx)) for n, r, _ in rows]  # type: ignore[arg-type]

    def _store(self, session: Session, record: m.Staff, ctx: ApplyContext) -> str:
        phone = record.phone
        values = {
            "staff_no": record.staff_no,
            "name": record.name,
            "org_code": record.org_code,
            "role": record.role,
            "phone_enc": ctx.cipher.encrypt("phone", phone) if phone else None,
            "phone_bidx": ctx.cipher.blind_index("phone", phone) if phone else None,
            "phone_masked": mask_phone(phone) if phone else None,
            "row_hash": row_hash(ctx.cipher, self.kind, record),
            "updated_at": ctx.now,
        }
        return _upsert(session, StaffRow, record.staff_no, values)


class ProductImporter:
    kind = "products"
    required: tuple[str, ...] = ("product_code", "name", "product_type")
    lookup_tables: tuple[FromClause, ...] = ()

    def parse(self, values: dict[str, Any], ctx: RowContext) -> tuple[Any, list[m.RowProblem]]:
        return parse.parse_product(values, ctx)

    def key(self, record: m.Product) -> str:
        return record.product_code

    def prepare(self, rows: Sequence[ParsedRow], ctx: ApplyContext) -> Sequence[ParsedRow]:
        return rows

    def apply(self, session: Session, rows: Sequence[ParsedRow], ctx: ApplyContext) -> list[RowOutcome]:
        return [RowOutcome(n, self._store(session, r, ctx)) for n, r, _ in rows]  # type: ignore[arg-type]

    def _store(self, session: Session, record: m.Product, ctx: ApplyContext) -> str:
        values = {
            "product_code": record.product_code,
            "name": record.name,
            "product_type": record.product_type,
            "risk_level": record.risk_level,
            "row_hash": row_hash(ctx.cipher, self.kind, record),
            "updated_at": ctx.now,
        }
        return _upsert(session, ProductRow, record.product_code, values)


def reference_context(session: Session) -> tuple[frozenset[str], dict[str, str], dict[str, str]]:
    """Reference data rows are checked against: org codes, staff roles by staff_no, product types by code."""
    org_codes = frozenset(session.scalars(select(OrgUnitRow.code)))
    staff = dict(list(session.execute(select(StaffRow.staff_no, StaffRow.role))))
    product_rows = session.execute(select(ProductRow.product_code, ProductRow.product_type))
    products = dict(list(product_rows))
    return org_codes, staff, products
