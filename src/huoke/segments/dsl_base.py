"""Building blocks of the rule models: strict immutable models and the form discriminator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Discriminator, model_validator

from huoke.segments.operators import fail


class Strict(BaseModel):
    """An immutable rule part that rejects unknown keys, naming the key and the keys it accepts."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            accepted = [field.alias or name for name, field in cls.model_fields.items()]
            unknown = sorted(str(key) for key in data if key not in accepted and key not in cls.model_fields)
            if unknown:
                raise fail(unknown[0], f"unknown key {unknown[0]!r}", sorted(accepted))
        return data

    def to_json(self) -> dict[str, Any]:
        """The rule as the JSON document a user would write."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def form_of(keys: tuple[str, ...]) -> Discriminator:
    """A discriminator picking the model by the one distinguishing key present; anything else is an error."""
    reason = f"needs exactly one of the keys {', '.join(keys)}"
    return Discriminator(
        _discriminate(keys),
        custom_error_type="invalid_rule",
        custom_error_message=reason,
        custom_error_context={"reason": reason, "allowed": ", ".join(keys)},
    )


def _discriminate(keys: tuple[str, ...]) -> Callable[[Any], str | None]:
    def discriminate(value: Any) -> str | None:
        if isinstance(value, dict):
            present = [key for key in keys if key in value]
            return f"<{present[0]}>" if len(present) == 1 else None
        form = getattr(value, "form", None)
        return f"<{form}>" if isinstance(form, str) else None

    return discriminate
