"""What the hub does with a batch of forwarded records: the exactly-once contract.

Each record is (kind, key, seq) plus its content. The first time the hub sees
that triple it stores a receipt with the content's hash and applies it: 201.
The same triple again with the same content is a resend: 200, nothing
stored twice. The same triple with other content is a conflict: 409, nothing
changed. A visit filled on an instrument version the hub does not know is
refused with 422. `seq` grows with every change the city makes to a visit or
action, so a change that arrives late never overwrites a newer one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from survey_app.store.hub import governments, rapor_tallies, totals
from survey_app.store.hub.backend import HubDB
from survey_app.store.hub.schema import UNSUR

KINDS = ("visit", "follow_up")
# "done": the OPD marked it done; the next approved visit verifies it (web/opd.py).
STATUSES = (
    "approved", "withdrawn", "open", "done", "still_open", "verified", "closed", "cancelled"
)  # fmt: skip
CHUNK = 500  # keys per IN (...) list

_VISIT_COLUMNS = (
    "government, uuid, seq, status, opd, opd_kind, service, visit_date, reviewed_at, scheme, "
    "compliance, waiting_minutes, service_minutes, over_max, fee_over, "
    + ", ".join(f"{u}_sum, {u}_n" for u in UNSUR)
    + ", received_at"
)
_VISIT_NAMES = _VISIT_COLUMNS.replace(" ", "").split(",")
_VISIT_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in _VISIT_NAMES[2:])
VISITS = (
    f"insert into hub_visits ({_VISIT_COLUMNS})",
    f"on conflict (government, uuid) do update set {_VISIT_UPDATE} "
    "where hub_visits.seq < excluded.seq",
)
DETAILS = (
    "insert into hub_visit_details (government, uuid, instruments, brief, answers, standard)",
    "on conflict (government, uuid) do update set "
    "instruments = excluded.instruments, brief = excluded.brief, answers = excluded.answers, "
    "standard = excluded.standard",
)
# first and last visit date per version: CASE, as SQLite's min()/max() are PostgreSQL's
# least()/greatest()
VERSIONS = (
    "insert into hub_versions_used (government, instrument_id, version, first_date, last_date)",
    "on conflict (government, instrument_id, version) do update set "
    "first_date = case when excluded.first_date < hub_versions_used.first_date "
    "then excluded.first_date else hub_versions_used.first_date end, "
    "last_date = case when excluded.last_date > hub_versions_used.last_date "
    "then excluded.last_date else hub_versions_used.last_date end",
)
FOLLOW_UPS = (
    "insert into hub_follow_ups (government, id, seq, status, opd, opd_kind, instrument_id, "
    "item_id, due_date, state, verified_at, detail, received_at)",
    "on conflict (government, id) do update set seq = excluded.seq, status = excluded.status, "
    "opd = excluded.opd, opd_kind = excluded.opd_kind, instrument_id = excluded.instrument_id, "
    "item_id = excluded.item_id, due_date = excluded.due_date, state = excluded.state, "
    "verified_at = excluded.verified_at, detail = excluded.detail, "
    "received_at = excluded.received_at where hub_follow_ups.seq < excluded.seq",
)


def last_seq(db: HubDB, government: str) -> int:
    """The highest change number received from this government (0 before the first)."""
    return int(
        db.value("select max(seq) from hub_receipts where government = ?", [government]) or 0
    )


def content_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record as canonical JSON (sorted keys): what a resend must match."""
    return hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()


def receive(db: HubDB, government: str, records: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Store a batch from one government; one result per record, in order."""
    known = governments.known_instruments(db)
    checked = [_check(r, known) for r in records]
    with db.transaction():
        # One batch of a government at a time (the row lock, on PostgreSQL, until the commit):
        # its day totals are counted from what is committed. The counter tells a readiness
        # tally being made meanwhile not to keep itself (rapor_tallies.keep).
        db.execute("update hub_governments set changes = changes + 1 where slug = ?", [government])
        seen = _receipts(db, government, [c for c in checked if "result" not in c])
        fresh: dict[tuple, dict] = {}
        results = []
        for c in checked:
            results.append(_judge(c, seen, fresh))
        _apply(db, government, list(fresh.values()))
    return results


def _check(record: Any, known: Mapping[tuple[str, int], str]) -> dict[str, Any]:
    """The record's triple and hash, or the reason it cannot be taken (400 or 422)."""
    if not isinstance(record, Mapping):
        return {"result": _result(None, 400, "not an object")}
    kind, key, seq = record.get("kind"), record.get("key"), record.get("seq")
    triple = (kind, key, seq)
    if kind not in KINDS or not isinstance(key, str) or not key or len(key) > 100:
        return {"result": _result(triple, 400, "kind or key missing")}
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return {"result": _result(triple, 400, "seq must be a positive integer")}
    if record.get("status") not in STATUSES or not isinstance(record.get("data"), Mapping):
        return {"result": _result(triple, 400, "status or data missing")}
    if kind == "visit" and record["status"] == "approved":
        if problem := _visit_problem(record["data"], known):
            code = 422 if problem.startswith("unknown instrument") else 400
            return {"result": _result(triple, code, problem)}
    return {"triple": triple, "hash": content_hash(record), "record": record}


def _visit_problem(data: Mapping[str, Any], known: Mapping[tuple[str, int], str]) -> str | None:
    """Why an approved visit's data cannot be stored, or None."""
    try:
        opd, brief = data["opd"], data["brief"]
        if not (opd["slug"] and opd["name"] and data["visit_date"] and brief["compliance"]):
            return "opd, visit_date or brief missing"
        refs = [(i["id"], int(i["version"]), i.get("content_hash")) for i in data["instruments"]]
    except (KeyError, TypeError, ValueError):
        return "opd, visit_date, instruments or brief missing"
    for inst_id, version, digest in refs:
        if (inst_id, version) not in known or (digest and digest != known[(inst_id, version)]):
            return f"unknown instrument version {inst_id} v{version}"
    return None


def _result(triple: tuple | None, status: int, error: str | None = None) -> dict[str, Any]:
    kind, key, seq = triple or (None, None, None)
    out = {"kind": kind, "key": key, "seq": seq, "status": status}
    if error:
        out["error"] = error
    return out


def _receipts(db: HubDB, government: str, checked: list[dict]) -> dict[tuple, str]:
    """(kind, key, seq) -> content hash of what the hub already holds among these."""
    seen = {}
    for kind in KINDS:  # the primary key's order: government, kind, key, seq
        keys = sorted({c["triple"][1] for c in checked if c["triple"][0] == kind})
        for start in range(0, len(keys), CHUNK):
            rows = db.keyed_rows(
                "t.kind, t.key, t.seq, t.content_hash",
                "hub_receipts",
                "key",
                keys[start : start + CHUNK],
                "t.government = ? and t.kind = ?",
                [government, kind],
            )
            seen.update({(r["kind"], r["key"], r["seq"]): r["content_hash"] for r in rows})
    return seen


def _judge(c: dict, seen: dict[tuple, str], fresh: dict[tuple, dict]) -> dict[str, Any]:
    """201 for a new triple, 200 for the same content again, 409 for other content."""
    if "result" in c:
        return c["result"]
    triple, digest = c["triple"], c["hash"]
    if triple in seen:
        return _result(triple, 200 if seen[triple] == digest else 409, _conflict(seen, c))
    seen[triple] = digest
    fresh[triple] = c
    return _result(triple, 201)


def _conflict(seen: dict[tuple, str], c: dict) -> str | None:
    if seen[c["triple"]] == c["hash"]:
        return None
    return "this change number was received before with other content"


def _apply(db: HubDB, government: str, fresh: list[dict]) -> None:
    """Store the receipts and apply the records, the newest change of each key winning."""
    at = governments.now()
    db.insert(
        "insert into hub_receipts (government, kind, key, seq, content_hash, received_at)",
        [(government, *c["triple"], c["hash"], at) for c in fresh],
        "on conflict do nothing",
    )
    newest: dict[tuple[str, str], dict] = {}
    for c in fresh:
        kind, key, seq = c["triple"]
        if (kind, key) not in newest or newest[(kind, key)]["triple"][2] < seq:
            newest[(kind, key)] = c
    visits = [c["record"] for (kind, _), c in newest.items() if kind == "visit"]
    follow_ups = [c["record"] for (kind, _), c in newest.items() if kind == "follow_up"]
    before = _held(db, government, "hub_visits", "uuid", visits, ", t.visit_date")
    visits = [r for r in visits if r["seq"] > before.get(r["key"], {}).get("seq", 0)]
    held = _held(db, government, "hub_follow_ups", "id", follow_ups)
    follow_ups = [r for r in follow_ups if r["seq"] > held.get(r["key"], {}).get("seq", 0)]
    _apply_visits(db, government, visits, at)
    # the days these visits were on and are on now
    days = {before[r["key"]]["visit_date"] for r in visits if r["key"] in before}
    days |= {r["data"].get("visit_date") for r in visits}
    totals.recount(db, government, days)
    rapor_tallies.forget(db, government, {d[:7] for d in days if d})
    _apply_follow_ups(db, government, follow_ups, at)


def _held(
    db: HubDB, government: str, table: str, column: str, records: list[dict], more: str = ""
) -> dict[str, dict[str, Any]]:
    """key -> the change number (and `more` columns) the hub holds for these records' keys."""
    held: dict[str, dict[str, Any]] = {}
    keys = [r["key"] for r in records]
    for start in range(0, len(keys), CHUNK):
        rows = db.keyed_rows(
            f"t.{column} as key, t.seq{more}",
            table,
            column,
            keys[start : start + CHUNK],
            "t.government = ?",
            [government],
        )
        held.update({r["key"]: r for r in rows})
    return held


def _apply_visits(db: HubDB, government: str, records: list[dict], at: str) -> None:
    """Upsert the visits, their OPDs and the instrument versions they used."""
    opds = {}
    for r in records:
        if r["status"] == "approved":
            opd = r["data"]["opd"]
            opds[opd["slug"]] = (government, opd["slug"], opd["name"], opd.get("kind"))
    db.insert(
        "insert into hub_opds (government, slug, name, kind)",
        list(opds.values()),
        "on conflict (government, slug) do update set name = excluded.name, kind = excluded.kind",
    )
    db.insert(VISITS[0], [_visit_row(government, r, at) for r in records], VISITS[1])
    db.insert(DETAILS[0], [_detail_row(government, r) for r in records], DETAILS[1])
    db.insert(VERSIONS[0], _versions_used(government, records), VERSIONS[1])
    _apply_photos(db, government, records)


def _apply_photos(db: HubDB, government: str, records: list[dict]) -> None:
    """Replace the thumbnails of these visits with the ones they carry (none when withdrawn)."""
    changing = _with_photos(records)
    db.many(
        "delete from hub_photos where government = ? and uuid = ?",
        [(government, r["key"]) for r in records if r["key"] in changing],
    )
    rows = {
        (r["key"], p["sha256"]): (
            government,
            r["key"],
            p["sha256"],
            p.get("instrument"),
            p.get("item"),
            p["thumbnail"],
        )  # fmt: skip
        for r in records
        if r["status"] == "approved"
        for p in r["data"].get("photos") or []
        if isinstance(p, Mapping) and p.get("sha256") and isinstance(p.get("thumbnail"), str)
    }
    db.insert(
        "insert into hub_photos (government, uuid, sha256, instrument_id, item_id, thumbnail)",
        list(rows.values()),
    )


def _with_photos(records: list[dict]) -> set[str]:
    """Keys of the visits whose stored thumbnails may change: sent with photos, or withdrawn."""
    return {r["key"] for r in records if r["status"] != "approved" or "photos" in r["data"]}


def _versions_used(government: str, records: list[dict]) -> list[tuple]:
    """(government, instrument, version, first date, last date) of the batch's approved visits."""
    seen: dict[tuple[str, int], list[str]] = {}
    for r in records:
        if r["status"] != "approved":
            continue
        day = r["data"]["visit_date"]
        for i in r["data"]["instruments"]:
            span = seen.setdefault((i["id"], int(i["version"])), [day, day])
            span[0], span[1] = min(span[0], day), max(span[1], day)
    return [(government, i, v, a, b) for (i, v), (a, b) in sorted(seen.items())]


def _visit_row(government: str, record: Mapping[str, Any], at: str) -> tuple:
    """The hub_visits row of a record: score columns from the brief, to add up in SQL."""
    data = record["data"]
    if record["status"] != "approved":  # withdrawn: kept (its seq guards), counted nowhere
        opd = data.get("opd") or {}
        head = (government, record["key"], record["seq"], record["status"], opd.get("slug", ""))
        return (*head, opd.get("kind"), None, data.get("visit_date") or "", *([None] * 25), at)
    brief = data["brief"]
    timing, fee = brief.get("timing") or {}, brief.get("fee") or {}
    skm = brief.get("skm_values") or {}
    sums = []
    for unsur in UNSUR:
        values = skm.get(unsur.upper()) or []
        sums += [sum(values), len(values)]
    return (
        government, record["key"], record["seq"], "approved", data["opd"]["slug"],
        data["opd"].get("kind"), data.get("service"), data["visit_date"],
        data.get("reviewed_at"), brief.get("scheme"), brief["compliance"].get("score"),
        timing.get("waiting_minutes"), timing.get("service_minutes"),
        1 if timing.get("over_max") else 0, 1 if fee.get("over_published") else 0, *sums, at,
    )  # fmt: skip


def _detail_row(government: str, record: Mapping[str, Any]) -> tuple:
    """The instrument versions, brief, answers and service standard of a visit, beside its
    row: for the exports and the Ombudsman readiness view."""
    data = record["data"] if record["status"] == "approved" else {}
    insts, brief, answers = data.get("instruments"), data.get("brief"), data.get("answers")
    standard = data.get("standard")
    return (
        government, record["key"],
        orjson.dumps(insts).decode() if insts else None,
        orjson.dumps(brief).decode() if brief else None,
        orjson.dumps(answers).decode() if answers else None,
        orjson.dumps(standard).decode() if standard else None,
    )  # fmt: skip


def _apply_follow_ups(db: HubDB, government: str, records: list[dict], at: str) -> None:
    """Upsert the follow-up actions' states."""
    rows = []
    for r in records:
        d = r["data"]
        rows.append(
            (
                government,
                r["key"],
                r["seq"],
                r["status"],
                d.get("opd") or "",
                d.get("opd_kind"),
                d.get("instrument"),
                d.get("item"),
                d.get("due_date"),
                d.get("state"),
                d.get("verified_at"),
                orjson.dumps(d).decode(),
                at,
            )  # fmt: skip
        )
    db.insert(FOLLOW_UPS[0], rows, FOLLOW_UPS[1])
