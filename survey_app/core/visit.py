"""One visit, as the sync path and the write path hand it on (pure: no Flask, no SQL)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The visits columns a Visit writes; timestamps and scores are the store's to set.
ROW_COLUMNS = ("uuid", "opd_id", "service_id", "evaluator_id", "visit_date", "status")


@dataclass(frozen=True)
class PhotoLink:
    """A stored photo named by a visit, for the visit as a whole or for one item."""

    sha256: str
    instrument_id: str = ""
    item_id: str = ""
    caption: str = ""
    captured_at: str | None = None

    @classmethod
    def from_mapping(cls, given: Mapping[str, Any]) -> PhotoLink:
        """A photo link from its JSON or row shape; blanks become ""."""
        return cls(
            sha256=given["sha256"],
            instrument_id=given.get("instrument_id") or "",
            item_id=given.get("item_id") or "",
            caption=str(given.get("caption") or "")[:200],  # a caption is a line, not a text
            captured_at=given.get("captured_at"),
        )


@dataclass(frozen=True)
class Visit:
    """One visit: where, by whom, on which instrument versions, with what answers.

    It replaces the dicts that carried a visit on the sync and write paths:
    the API payload (`from_payload`, `to_payload`), the record given to
    `records.save_visit`/`prepare_visit` and the row prepared for the write
    (`to_row`), and a stored visit read back (`from_row`, `records.load_visit`).
    `records.visit()` keeps returning its dict to readers (review, findings);
    an export row (findings/exports) and a brief (store/briefs) are
    summaries of a visit, not visits, and keep their shapes.

    `revision` and `content_hash` are None when not known: the store then
    keeps what it holds (a new visit gets revision 1 and no hash).
    """

    uuid: str
    opd_id: int
    service_id: int
    visit_date: str  # YYYY-MM-DD, as the evaluator gave it: data, not a decision
    instruments: tuple[tuple[str, int], ...]  # (id, version), in the order filled
    answers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # inst -> item -> value
    notes: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    photos: tuple[PhotoLink, ...] = ()
    evaluator_id: int | None = None
    status: str = "draft"
    revision: int | None = None
    content_hash: str | None = None
    assignment_id: int | None = None  # bookkeeping, not content: never hashed
    review_note: str | None = None
    created_at: str | None = None  # the server's clock, like the three below
    updated_at: str | None = None
    submitted_at: str | None = None
    reviewed_at: str | None = None
    scores: Mapping[str, Any] | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], evaluator_id: int | None = None) -> Visit:
        """A visit as a tablet posted it (shape checked by core.sync.read_visit): submitted."""
        content = {
            "opd_id": payload["opd_id"],
            "service_id": payload["service_id"],
            "visit_date": payload["visit_date"],
            "instruments": tuple((i["id"], i["version"]) for i in payload["instruments"]),
            "answers": payload.get("answers") or {},
        }
        return cls(
            uuid=payload["uuid"],
            **content,
            notes=payload.get("notes") or {},
            photos=tuple(PhotoLink.from_mapping(p) for p in payload.get("photos") or ()),
            evaluator_id=evaluator_id,
            status="submitted",
            revision=payload.get("revision", 1),
            content_hash=_fingerprint(content),
            assignment_id=payload.get("assignment_id"),
        )

    def to_payload(self) -> dict[str, Any]:
        """The visit as the API hands it back to a tablet (GET /api/v1/visits/<uuid>)."""
        return {
            "uuid": self.uuid,
            "opd_id": self.opd_id,
            "service_id": self.service_id,
            "visit_date": self.visit_date,
            "status": self.status,
            "revision": self.revision,
            "review_note": self.review_note,
            "instruments": self.instrument_refs,
            "answers": self.answers,
            "notes": self.notes,
            "photos": [
                {
                    "sha256": p.sha256,
                    "instrument_id": p.instrument_id,
                    "item_id": p.item_id,
                    "captured_at": p.captured_at,
                }
                for p in self.photos
            ],
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Visit:
        """A visit from a visits row with its instruments, answers, notes and photos beside.

        That is records.visit()'s dict, and the dict callers of
        records.save_visit build; keys the visit has no field for are left out.
        """
        names = {f.name for f in dataclasses.fields(cls)} - {"instruments", "photos"}
        given = {k: v for k, v in row.items() if k in names}
        return cls(
            **given,
            instruments=tuple((i["id"], int(i["version"])) for i in row.get("instruments", ())),
            photos=tuple(PhotoLink.from_mapping(p) for p in row.get("photos") or ()),
        )

    def to_row(self) -> dict[str, Any]:
        """The visits columns this visit writes (revision and hash only when known)."""
        row = {c: getattr(self, c) for c in ROW_COLUMNS}
        for column in ("revision", "content_hash"):
            if getattr(self, column) is not None:
                row[column] = getattr(self, column)
        return row

    @property
    def instrument_refs(self) -> list[dict[str, Any]]:
        """The instruments as JSON names them: [{"id", "version"}]."""
        return [{"id": i, "version": v} for i, v in self.instruments]

    def fingerprint(self) -> str:
        """What a tablet sent, canonically hashed (photos apart: a resend may add them)."""
        return _fingerprint({k: getattr(self, k) for k in HASHED})


# What a visit's content hash covers, and how: compared with the hash stored
# from a visit's first sending, so it must stay byte for byte what it was.
HASHED = ("opd_id", "service_id", "visit_date", "instruments", "answers")


def _fingerprint(content: Mapping[str, Any]) -> str:
    refs = [{"id": i, "version": v} for i, v in content["instruments"]]
    canonical = json.dumps({**content, "instruments": refs}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
