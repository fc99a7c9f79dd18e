"""The hub's tables, one text for SQLite and PostgreSQL, created or brought up to date.

Per government: the approved visits (answers, score columns the figures
add up, the brief they came from), the instrument versions each used, the
follow-up actions' states, and a receipt per forwarded record (what makes a
resend idempotent). Versions are appended, never edited (as the city's
migrations).
"""

from __future__ import annotations

from survey_app.store.hub.backend import HubDB

UNSUR = tuple(f"u{n}" for n in range(1, 10))
_SKM_COLUMNS = ", ".join(f"{u}_sum integer, {u}_n integer" for u in UNSUR)
# what the figures read of a visit besides its government, status and date
_FIGURE_COLUMNS = (
    "opd, opd_kind, scheme, compliance, waiting_minutes, service_minutes, over_max, fee_over, "
    + ", ".join(f"{u}_sum, {u}_n" for u in UNSUR)
)

_DOCUMENT_COLUMNS = (
    "number text not null, year integer not null, seq integer not null, kind text not null, "
    "period_from text, period_to text, province text, sha256 text, created_at text not null, "
    "created_by text, unique (year, seq))"
)

# Each entry: the statements of one schema version, in order.
# A statement is SQL for both backends, or {backend: SQL} where they differ.
VERSIONS: tuple[tuple[str | dict[str, str], ...], ...] = (
    (
        "create table hub_governments (slug text primary key, name text not null, "
        "province text, created_at text not null)",
        "create table hub_tokens (token_hash text primary key, "
        "government text not null references hub_governments(slug), "
        "created_at text not null, revoked_at text)",
        "create index hub_tokens_government on hub_tokens (government)",
        "create table hub_users (username text primary key, name text, "
        "password_hash text not null, created_at text not null)",
        "create table hub_instruments (id text not null, version integer not null, "
        "title text, content_hash text not null, loaded_at text not null, "
        "primary key (id, version))",
        "create table hub_opds (government text not null, slug text not null, "
        "name text not null, kind text, primary key (government, slug))",
        # One row per visit; seq is the city's change number: an older one never overwrites.
        "create table hub_visits (government text not null, uuid text not null, "
        "seq bigint not null, status text not null, opd text not null, opd_kind text, "
        "service text, visit_date text not null, reviewed_at text, scheme text, "
        "compliance double precision, waiting_minutes double precision, "
        "service_minutes double precision, over_max integer, fee_over integer, "
        f"{_SKM_COLUMNS}, received_at text not null, primary key (government, uuid))",
        # what only exports read, apart: the figures scan a narrow table
        "create table hub_visit_details (government text not null, uuid text not null, "
        "instruments text, brief text, answers text, primary key (government, uuid))",
        # the dashboards: a period over every government, and one government's period
        "create index hub_visits_period on hub_visits (status, visit_date, government)",
        {
            "sqlite": "create index hub_visits_government on hub_visits "
            "(government, status, visit_date)",
            # PostgreSQL: covering, so a province is read from the index alone (a government's
            # rows are scattered over the table as batches arrive): 0.2 -> 0.1 s at 300,000
            "postgresql": "create index hub_visits_government on hub_visits "
            f"(government, status, visit_date) include ({_FIGURE_COLUMNS})",
        },
        # thumbnails of the evidence photos (base64 JPEG: one text type on both backends)
        "create table hub_photos (government text not null, uuid text not null, "
        "sha256 text not null, instrument_id text, item_id text, thumbnail text not null, "
        "primary key (government, uuid, sha256))",
        # which instrument versions each government used, kept as visits arrive
        "create table hub_versions_used (government text not null, instrument_id text not null, "
        "version integer not null, first_date text not null, last_date text not null, "
        "primary key (government, instrument_id, version))",
        "create table hub_follow_ups (government text not null, id text not null, "
        "seq bigint not null, status text not null, opd text not null, opd_kind text, "
        "instrument_id text, item_id text, due_date text, state text, verified_at text, "
        "detail text, received_at text not null, primary key (government, id))",
        "create table hub_receipts (government text not null, kind text not null, "
        "key text not null, seq bigint not null, content_hash text not null, "
        "received_at text not null, primary key (government, kind, key, seq))",
    ),
    (
        # the definition of each version, so a visit's answers are scored again on the hub
        # (the Ombudsman readiness view) after its file left the instruments directory
        "alter table hub_instruments add column definition text",
        # the service standard (max minutes, published fee) a visit was scored against
        "alter table hub_visit_details add column standard text",
    ),
    (
        # per government and day, the sums of its approved visits (store/hub/totals.py):
        # the national figures read ~365 rows a government a year instead of every visit
        "create table hub_day_totals (government text not null, day text not null, "
        "visits integer not null, c_sum double precision, c_n integer, "
        "w_sum double precision, w_n integer, s_sum double precision, s_n integer, "
        f"over_max integer, fee_over integer, scheme text, {_SKM_COLUMNS}, "
        "primary key (government, day))",
        "create index hub_day_totals_day on hub_day_totals (day)",
        "insert into hub_day_totals select v.government, v.visit_date, count(*), "
        "sum(v.compliance), count(v.compliance), sum(v.waiting_minutes), "
        "count(v.waiting_minutes), sum(v.service_minutes), count(v.service_minutes), "
        "sum(v.over_max), sum(v.fee_over), max(v.scheme), "
        + ", ".join(f"sum(v.{u}_sum), sum(v.{u}_n)" for u in UNSUR)
        + " from hub_visits v where v.status = 'approved' group by v.government, v.visit_date",
    ),
    (
        # the readiness view's item tallies per government and month (store/hub/rapor_tallies.py),
        # and the counter every batch moves, so a tally made meanwhile is never kept stale
        "alter table hub_governments add column changes bigint not null default 0",
        "create table hub_rapor_tallies (government text not null, month text not null, "
        "tallies text not null, primary key (government, month))",
    ),
    (
        # the register of numbered province and national reports (store/hub/documents.py)
        {
            "sqlite": "create table hub_documents (id integer primary key, " + _DOCUMENT_COLUMNS,
            "postgresql": "create table hub_documents "
            "(id bigint generated always as identity primary key, " + _DOCUMENT_COLUMNS,
        },
        "create index hub_documents_sha256 on hub_documents (sha256)",
    ),
)


def migrate(db: HubDB) -> int:
    """Create or bring the hub's tables up to date; the schema version reached."""
    db.execute("create table if not exists hub_schema (version integer not null)")
    current = db.value("select max(version) from hub_schema") or 0
    for number, statements in enumerate(VERSIONS, start=1):
        if number <= current:
            continue
        with db.transaction():
            for statement in statements:
                db.execute(statement[db.backend] if isinstance(statement, dict) else statement)
            db.execute("insert into hub_schema (version) values (?)", [number])
    return len(VERSIONS)
