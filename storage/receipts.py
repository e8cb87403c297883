"""A submission's receipt as the response row keeps it (JSON), and back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from survey.model import Receipt


def receipt_of(data: Mapping[str, Any] | None) -> Receipt | None:
    if not data:
        return None
    return Receipt(
        submitted_at=datetime.fromisoformat(data["submitted_at"]),
        submitted_by=data["submitted_by"],
        reference=data["reference"],
        level_counts=dict(data["level_counts"]),
        commented=int(data["commented"]),
    )


def receipt_data(receipt: Receipt) -> dict[str, Any]:
    return {
        "submitted_at": receipt.submitted_at.isoformat(),
        "submitted_by": receipt.submitted_by,
        "reference": receipt.reference,
        "level_counts": dict(receipt.level_counts),
        "commented": receipt.commented,
    }
