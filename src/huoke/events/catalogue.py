"""The event catalogue: standard behaviour types (埋点) with property schemas, and rules for custom types.

Pure: JSON Schema documents and their validation. A property schema says which properties a type carries and of
what type; properties it does not name are allowed (apps add context freely) but bounded in size elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

_STR = {"type": "string", "minLength": 1, "maxLength": 256}
_CODE = {"type": "string", "minLength": 1, "maxLength": 64}
_SCORE = {"type": "integer", "minimum": 0, "maximum": 10}


def _props(required: tuple[str, ...] = (), **properties: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": dict(properties), "required": list(required)}


STANDARD_SCHEMAS: Mapping[str, dict[str, Any]] = MappingProxyType(
    {
        "register": _props(method=_CODE),
        "login": _props(method={"enum": ["password", "sms", "biometric", "wechat", "gesture", "other"]}),
        "logout": _props(),
        "app_open": _props(app_version=_CODE, os=_CODE),
        "page_view": _props(("page",), page=_STR, referrer=_STR),
        "product_view": _props(
            ("product_code", "dwell_seconds"),
            product_code=_CODE,
            dwell_seconds={"type": "number", "minimum": 0, "maximum": 86_400},
        ),
        "search": _props(("query",), query=_STR, results={"type": "integer", "minimum": 0}),
        "click": _props(("target",), target=_STR, page=_STR),
        "form_submit": _props(("form",), form=_CODE, product_code=_CODE),
        "share": _props(target=_STR, to=_CODE),
        "coupon_redeemed": _props(("coupon_code",), coupon_code=_CODE, order_amount={"type": "number", "minimum": 0}),
        "survey_answered": _props(("survey_id",), survey_id=_CODE, score=_SCORE),
        "message_replied": _props(message_id=_CODE, text={"type": "string", "maxLength": 2000}),
        "message_clicked": _props(("message_id",), message_id=_CODE, url=_STR),
        "wechat_follow": _props(scene=_CODE),
        "wechat_unfollow": _props(),
        "unsubscribed": _props(("channel",), channel=_CODE, message_id=_CODE),
        "message_receipt": _props(
            ("message_id", "status"), message_id=_CODE, status={"enum": ["delivered", "failed"]}, reason=_CODE
        ),
    }
)

TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def standard_type(name: str) -> bool:
    return name in STANDARD_SCHEMAS


def check_custom_type(name: str, schema: Any) -> list[str]:
    """Why a custom event type cannot be registered (empty when it can)."""
    problems: list[str] = []
    if not TYPE_NAME.match(name):
        problems.append(f"name {name!r}: use 2-64 lower-case letters, digits and _ starting with a letter")
    if name in STANDARD_SCHEMAS:
        problems.append(f"name {name!r}: a standard event type; choose another name")
    if not isinstance(schema, dict):
        return [*problems, "schema: must be a JSON object (a JSON Schema document)"]
    if schema.get("type") != "object":
        problems.append('schema: the top level must be {"type": "object", ...} (event properties are an object)')
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        problems.append(f"schema: not a valid JSON Schema (2020-12): {exc.message}")
    return problems


def property_errors(validator: Draft202012Validator, properties: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, reason) for each way ``properties`` break their type's schema, in a stable order."""
    found: list[tuple[str, str]] = []
    for error in sorted(validator.iter_errors(properties), key=lambda e: [str(p) for p in e.absolute_path]):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = missing or path
        found.append((f"properties.{path}" if path else "properties", error.message))
    return found


def validators(custom: Mapping[str, dict[str, Any]]) -> dict[str, Draft202012Validator]:
    """A validator for every standard type and each registered custom type."""
    every = {**STANDARD_SCHEMAS, **custom}
    return {name: Draft202012Validator(schema) for name, schema in every.items()}
