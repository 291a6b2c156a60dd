"""The showcase's messages: save the example templates and send them to the showcase segments, then let the
dispatcher deliver them (to the file sink, `<data-dir>/outbox/`), so the summary shows what the contact
policy let through and why the rest was held back."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from huoke.messaging import service as messaging
from huoke.platform.runtime import Runtime
from huoke.platform.service import Platform
from huoke.segments import service as segments

# Which example template goes to which showcase segment (examples/templates/README.md explains each).
CAMPAIGNS: tuple[tuple[str, str], ...] = (
    ("wealth_interest_no_purchase", "wealth_offer_sms"),
    ("wealth_interest_no_purchase", "rm_wealth_followup"),
    ("dormant_90_days", "reactivation_sms"),
    ("silver_60_75_deposits", "silver_inbox"),
    ("high_spenders", "monthly_email"),
)
BATCH = 1000


def templates_dir() -> Path | None:
    """examples/templates of a source checkout (the demo's templates), or None in an installed package."""
    folder = Path(__file__).resolve().parents[3] / "examples" / "templates"
    return folder if folder.is_dir() else None


def send_campaigns(runtime: Runtime, platform: Platform, folder: Path) -> dict[str, Any]:
    """Save the templates, send each campaign to its segment, dispatch; outcome counts per template."""
    for path in sorted(folder.glob("*.json")):
        messaging.create_template(runtime, json.loads(path.read_text(encoding="utf-8")), actor="demo")
    sent: Counter[str] = Counter()
    for segment, template in CAMPAIGNS:
        numbers = segments.segment_members(runtime, name=segment)["customer_nos"]
        for start in range(0, len(numbers), BATCH):
            items = [_item(segment, template, number) for number in numbers[start : start + BATCH]]
            sent[template] += len(messaging.send_many(runtime, items, source="demo"))
    platform.run_until(runtime.now() + timedelta(minutes=5))
    return {"enqueued": dict(sent), "outcomes": _outcomes(runtime), "outbox": str(runtime.settings.data_dir / "outbox")}


def _item(segment: str, template: str, number: str) -> dict[str, Any]:
    return {
        "customer_no": number,
        "template": template,
        "campaign": segment,
        "idempotency_key": f"demo:{segment}:{template}:{number}",
    }


def _outcomes(runtime: Runtime) -> dict[str, dict[str, int]]:
    """template → "status/reason" → messages."""
    found: dict[str, dict[str, int]] = {}
    for row in messaging.outcome_counts(runtime):
        found.setdefault(row["template"], {})[f"{row['status']}/{row['reason']}"] = row["messages"]
    return found
