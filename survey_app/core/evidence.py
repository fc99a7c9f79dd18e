"""What failing answers leave behind: each one's detail, and the narrative they draft."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from survey_app.core.instruments import Instrument, Item


def narrative_item(section_items: Sequence[Item]) -> Item | None:
    """The item with role `narrative` among these, if any."""
    return next((item for item in section_items if item.role == "narrative"), None)


def narrative_draft(
    instruments: Sequence[Instrument],
    answers: Mapping[str, Mapping[str, Any]],
    notes: Mapping[str, Mapping[str, str | None]],
    locale: str = "id",
) -> str:
    """One line "<label>: <detail>" per failing answer, in the order asked."""
    lines = []
    for inst in instruments:
        given = inst.relevant_answers(answers.get(inst.id, {}))
        details = notes.get(inst.id) or {}
        for item in inst.items:
            if item.passed(given.get(item.id)) is False:
                detail = (details.get(item.id) or "").strip()
                lines.append(f"{item.label.get(locale)}: {detail}".rstrip())
    return "\n".join(lines)


def fingerprint(text: str) -> str:
    """A short hash of a drafted narrative, to tell later whether it is still untouched."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
