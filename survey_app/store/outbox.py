"""The city's side of forwarding to a hub: the outbox, each record's frozen content, results.

Migration m019's triggers queue a row whenever an approved visit or a
follow-up action changes. `forward()` sends the queue in batches:

1. older queued changes of a key are superseded by its newest one;
2. a batch's content is built and *frozen* in its rows (committed) before
   it is sent, so a send cut by any failure is resent byte for byte and the
   hub answers 200 instead of storing it twice;
3. the hub's answer for each record is written back: 201 or 200 done,
   409/422/400 refused (kept with the reason, never resent by itself).

A transport failure (hub down, timeout, 5xx) changes nothing: the next run
starts where this one stopped. The row id is the record's `seq`, the change
number that lets the hub keep the newest change of each visit.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlite_utils import Database

from survey_app.core.hub_client import HubError
from survey_app.store import records
from survey_app.store.connection import transaction
from survey_app.store.records import now

BATCH = 500  # records per request: ~1 MB of JSON for the shipped instruments
DONE, REFUSED = (200, 201), (400, 409, 422)


@dataclass
class Counts:
    """What one forward run did."""

    sent: int = 0
    already: int = 0
    refused: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, status: int, reason: str | None) -> None:
        if status == 201:
            self.sent += 1
        elif status == 200:
            self.already += 1
        else:
            self.refused += 1
            if reason and len(self.reasons) < 20:
                self.reasons.append(reason)


Send = Callable[[list[str]], list[dict[str, Any]]]  # records as JSON text -> the hub's results
LastSeq = Callable[[], int]  # the highest change number the hub holds from this city


def forward(
    db: Database,
    send: Send,
    batch: int = BATCH,
    wait: bool = True,
    photo_dir: str | Path | None = None,
    last_seq: LastSeq | None = None,
) -> Counts | None:
    """Send everything pending, batch after batch; None when another forwarder runs.

    With `photo_dir`, each visit carries thumbnails of its photos (THUMB_SIDE px).
    With `last_seq`, the hub is asked first for the highest change number it holds
    from this city, and pending changes numbered at or below it are numbered above it
    (`_renumber`: a city restored from a backup).

    :raises HubError: from `send`, after the batches already answered were marked.
    """
    with _forwarding(db, wait) as mine:
        if not mine:
            return None
        counts = Counts()
        pending = db.execute("select 1 from hub_outbox where sent_at is null limit 1").fetchone()
        if last_seq is not None and pending:  # asked only when there is something to send
            _renumber(db, last_seq())
        _supersede(db)
        # While the hub stores one batch, the next is built and frozen here: the two halves
        # of a batch's time overlap (benchmarks/README.md: 820 -> 1,290 visits/s).
        with ThreadPoolExecutor(1, thread_name_prefix="hub-send") as sender:
            entries = _frozen_batch(db, batch, 0, photo_dir)
            while entries:
                sending = sender.submit(send, [p for _, p in entries])  # as frozen, byte for byte
                following = _frozen_batch(db, batch, entries[-1][0], photo_dir)
                _mark(db, entries, sending.result(), counts)
                entries = following
        return counts


def status(db: Database) -> dict[str, Any]:
    """Pending, refused and the last time something reached the hub."""
    row = db.execute(
        "select sum(sent_at is null), sum(result >= 400), max(case when result in (200, 201) "
        "then sent_at end) from hub_outbox"
    ).fetchone()
    return {"pending": row[0] or 0, "refused": row[1] or 0, "last_sent": row[2]}


def refused(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """The records the hub refused, newest first, with its reason."""
    rows = db.execute(
        "select id, kind, key, result, detail, sent_at from hub_outbox where result >= 400 "
        "order by id desc limit ?",
        [limit],
    ).fetchall()
    return [dict(r) for r in rows]


def retry_refused(db: Database, only: Sequence[int] = (422,)) -> int:
    """Queue again what the hub refused with these codes (after it learnt the instrument)."""
    marks = ", ".join("?" * len(only))
    with transaction(db):
        return db.execute(
            f"update hub_outbox set sent_at = null, result = null, detail = null "
            f"where result in ({marks})",
            list(only),
        ).rowcount


@contextlib.contextmanager
def _forwarding(db: Database, wait: bool) -> Iterator[bool]:
    """One forwarder per city database at a time (cron, server processes, threads)."""
    base = getattr(db, "writer_lock", None)
    if base is None:
        yield True
        return
    with open(base.removesuffix("-writer") + "-forward", "ab") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True  # closing the file lets go of the lock


def _renumber(db: Database, hub_last: int) -> int:
    """Number the pending changes at or below the hub's last change number above it.

    A city restored from a backup numbers its changes again from the backup's
    last one, which the hub may already hold: the same number with other
    content would be refused (409), a lower number than the one the hub holds
    for that visit taken as a late, older change and never applied. Only rows
    not yet frozen are renumbered: a frozen row may have reached the hub under
    its number (a send cut by a crash) and is resent byte for byte, answered
    200. In a city that was not restored no unfrozen row is ever at or below
    the hub's last number (rows are frozen in order), so nothing moves.
    Returns how many rows were renumbered.
    """
    with transaction(db):
        ids = [
            r[0]
            for r in db.execute(
                "select id from hub_outbox where sent_at is null and payload is null "
                "and id <= ? order by id",
                [hub_last],
            )
        ]
        if not ids:
            return 0
        top = db.execute("select max(id) from hub_outbox").fetchone()[0]
        start = max(top, hub_last) + 1
        db.conn.executemany(
            "update hub_outbox set id = ? where id = ?",
            [(start + n, old) for n, old in enumerate(ids)],
        )
        db.execute(  # AUTOINCREMENT continues from here, not from the backup's number
            "update sqlite_sequence set seq = max(seq, ?) where name = 'hub_outbox'",
            [start + len(ids) - 1],
        )
        return len(ids)


def _supersede(db: Database) -> None:
    """Of several pending changes of one key, only the newest is sent."""
    with transaction(db):
        db.execute(
            "update hub_outbox set sent_at = ?, result = 0, detail = 'superseded' "
            "where sent_at is null and id < (select max(p.id) from hub_outbox p "
            "where p.sent_at is null and p.kind = hub_outbox.kind and p.key = hub_outbox.key)",
            [now()],
        )


def _frozen_batch(
    db: Database, size: int, after: int, photo_dir: str | Path | None
) -> list[tuple[int, str]]:
    """The pending rows after row `after`, with their content, built and committed first if new."""
    rows = db.execute(
        "select id, kind, key, payload from hub_outbox where sent_at is null and id > ? "
        "order by id limit ?",
        [after, size],
    ).fetchall()
    unfrozen = [r for r in rows if r["payload"] is None]
    if unfrozen:
        built = _payloads(db, unfrozen, photo_dir)
        with transaction(db):
            db.conn.executemany(
                "update hub_outbox set payload = ? where id = ? and payload is null",
                [(built[r["id"]], r["id"]) for r in unfrozen],
            )
        rows = db.execute(
            f"select id, payload from hub_outbox where id in ({', '.join('?' * len(rows))}) "
            "order by id",
            [r["id"] for r in rows],
        ).fetchall()
    return [(r["id"], r["payload"]) for r in rows]


def _mark(db: Database, entries: list[tuple[int, str]], results: list[dict], counts: Counts):
    """Write the hub's answer to each record back to its row."""
    by_seq = {r.get("seq"): r for r in results if isinstance(r, dict)}
    at, marks = now(), []
    for seq, _ in entries:
        answer = by_seq.get(seq)
        if answer is None or answer.get("status") not in DONE + REFUSED:
            continue  # not answered: stays pending for the next run
        code, reason = answer["status"], answer.get("error")
        counts.add(code, reason)
        marks.append((at, code, reason, seq))
    with transaction(db):
        db.conn.executemany(
            "update hub_outbox set sent_at = ?, result = ?, detail = ? where id = ?", marks
        )
    if len(marks) < len(entries):
        raise HubError("the hub did not answer every record of the batch")


def _payloads(db: Database, rows: list, photo_dir: str | Path | None) -> dict[int, str]:
    """Each row's record as JSON text, as the hub receives it."""
    visits = _visit_data(db, [r["key"] for r in rows if r["kind"] == "visit"], photo_dir)
    follow_ups = _follow_up_data(db, [r["key"] for r in rows if r["kind"] == "follow_up"])
    out = {}
    for r in rows:
        found = (visits if r["kind"] == "visit" else follow_ups).get(r["key"])
        status, data = found if found else ("withdrawn", {})
        record = {"kind": r["kind"], "key": r["key"], "seq": r["id"], "status": status}
        out[r["id"]] = orjson.dumps({**record, "data": data}, option=orjson.OPT_SORT_KEYS).decode()
    return out


def _in(keys: Sequence[str]) -> str:
    return ", ".join("?" * len(keys))


def _visit_data(
    db: Database, uuids: list[str], photo_dir: str | Path | None
) -> dict[str, tuple[str, dict]]:
    """uuid -> ("approved", what the hub keeps of it), for the approved ones among uuids."""
    if not uuids:
        return {}
    rows = db.execute(
        "select v.uuid, v.visit_date, v.reviewed_at, v.brief, o.slug, o.name, o.kind, "
        "s.slug as service, s.max_minutes, s.fee from visits v join opds o on o.id = v.opd_id "
        f"join services s on s.id = v.service_id where v.status = 'approved' "
        f"and v.uuid in ({_in(uuids)})",
        uuids,
    ).fetchall()
    found = [r["uuid"] for r in rows]
    answers = _answers(db, found)
    instruments = _instruments(db, found)
    photos = _thumbnails(db, found, photo_dir) if photo_dir else {}
    return {
        r["uuid"]: (
            "approved",
            {
                "opd": {"slug": r["slug"], "name": r["name"], "kind": r["kind"]},
                "service": r["service"],
                # the service standard the visit was scored against (time and fee kept)
                "standard": {"max_minutes": r["max_minutes"], "fee": r["fee"]},
                "visit_date": r["visit_date"],
                "reviewed_at": r["reviewed_at"],
                "instruments": instruments.get(r["uuid"], []),
                "answers": answers.get(r["uuid"], {}),
                "brief": orjson.loads(r["brief"]) if r["brief"] else None,
                **({"photos": photos.get(r["uuid"], [])} if photo_dir else {}),
            },
        )
        for r in rows
    }


def _answers(db: Database, uuids: list[str]) -> dict[str, dict]:
    """uuid -> {instrument: {item: value}}; notes stay in the city (they may name people).

    SQLite gathers each instrument's answers into one JSON object (a value is
    stored as JSON text): a row per visit and instrument instead of per answer,
    which took 0.24 s of a 500-visit batch (~60 answers a visit), most of the
    city's side of forwarding.
    """
    out: dict[str, dict] = {}
    if uuids:
        for uuid, inst, items in db.execute(
            "select visit_uuid, instrument_id, json_group_object(item_id, json(value)) "
            f"from answers where visit_uuid in ({_in(uuids)}) group by visit_uuid, instrument_id",
            uuids,
        ):
            out.setdefault(uuid, {})[inst] = orjson.loads(items)
    return out


def _instruments(db: Database, uuids: list[str]) -> dict[str, list[dict]]:
    """uuid -> the instrument versions it was filled on, with their content hashes."""
    out: dict[str, list[dict]] = {}
    if uuids:
        for uuid, inst, version, digest in db.execute(
            "select vi.visit_uuid, vi.instrument_id, vi.instrument_version, i.content_hash "
            "from visit_instruments vi join instruments i "
            "on i.id = vi.instrument_id and i.version = vi.instrument_version "
            f"where vi.visit_uuid in ({_in(uuids)}) order by vi.visit_uuid, vi.position",
            uuids,
        ):
            ref = {"id": inst, "version": version, "content_hash": digest}
            out.setdefault(uuid, []).append(ref)
    return out


THUMB_SIDE = 320  # px: enough to recognise the evidence on a screen, ~10 kB a photo


def _thumbnails(db: Database, uuids: list[str], photo_dir: str | Path) -> dict[str, list[dict]]:
    """uuid -> its photos as small JPEG thumbnails (base64); a photo unreadable here is skipped."""
    out: dict[str, list[dict]] = {}
    for uuid, digest, inst, item in db.execute(
        "select visit_uuid, sha256, instrument_id, item_id from visit_photos "
        f"where visit_uuid in ({_in(uuids)}) order by visit_uuid, id",
        uuids,
    ):
        small = _thumbnail(records.photo_path(photo_dir, digest))
        if small is not None:
            entry = {"sha256": digest, "instrument": inst, "item": item, "thumbnail": small}
            out.setdefault(uuid, []).append(entry)
    return out


def _thumbnail(path: Path) -> str | None:
    """A THUMB_SIDE px JPEG of the photo at path, base64; None when it cannot be read."""
    from PIL import Image  # only a city that forwards photos needs Pillow here

    try:
        with Image.open(path) as image:
            image.draft("RGB", (THUMB_SIDE, THUMB_SIDE))  # JPEG decodes at 1/2..1/8 scale
            image = image.convert("RGB")
            image.thumbnail((THUMB_SIDE, THUMB_SIDE))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=70)
    except (OSError, ValueError):
        return None
    return base64.b64encode(buffer.getvalue()).decode()


def _follow_up_data(db: Database, ids: list[str]) -> dict[str, tuple[str, dict]]:
    """id -> (its status, what the hub keeps of the action)."""
    if not ids:
        return {}
    rows = db.execute(
        "select f.*, o.slug, o.kind as opd_kind, v.visit_date as verified_at from follow_ups f "
        "join opds o on o.id = f.opd_id left join visits v on v.uuid = f.verified_visit_uuid "
        f"where f.id in ({_in(ids)})",
        [int(i) for i in ids],
    ).fetchall()
    return {
        str(r["id"]): (
            r["status"],
            {
                "opd": r["slug"],
                "opd_kind": r["opd_kind"],
                "instrument": r["instrument_id"],
                "item": r["item_id"],
                "finding": r["finding"],
                "action": r["action"],
                "due_date": r["due_date"],
                "state": r["status"],
                "period_from": r["period_from"],
                "period_to": r["period_to"],
                "created_at": r["created_at"],
                "checked_at": r["checked_at"],
                "verified_at": r["verified_at"],
            },
        )
        for r in rows
    }
