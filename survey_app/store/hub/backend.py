"""One connection type over SQLite and PostgreSQL, so hub code is written once.

SQLite is the embedded default for a small hub (one file, no server);
PostgreSQL (psycopg 3, loaded only then) is for a province or the nation.
Statements use `?` placeholders, turned into psycopg's `%s` here; rows come
back as dicts from both.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_S = 15
_stages = itertools.count(1)


def is_postgres_url(target: str) -> bool:
    """True for a postgresql:// (or postgres://) URL, False for an SQLite path."""
    return str(target).startswith(("postgresql://", "postgres://"))


class HubDB:
    """A hub connection: execute, rows, one, many and transaction(), on either backend."""

    def __init__(self, conn: Any, backend: str) -> None:
        self.conn, self.backend = conn, backend
        self._depth = 0

    @property
    def postgres(self) -> bool:
        return self.backend == "postgresql"

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; the cursor (rowcount, fetch*) is returned."""
        return self.conn.execute(self._sql(sql), tuple(params))

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row (psycopg pipelines them; SQLite loops in C)."""
        if not rows:
            return
        if self.postgres:
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), rows)
        else:
            self.conn.executemany(sql, rows)

    def insert(self, head: str, rows: Sequence[Sequence[Any]], tail: str = "") -> None:
        """`head VALUES (row) tail` for every row: "insert into T (columns)", "on conflict ...".

        SQLite runs it per row in C (executemany). PostgreSQL COPYs the rows
        into a temporary table and inserts them from it in one statement: a
        batch of 500 visits took 0.5 s as 1,500 pipelined statements or as
        multi-row VALUES (psycopg splits every placeholder of a long query
        with a regex), a tenth of that this way.
        """
        if not rows:
            return
        if not self.postgres:
            marks = ", ".join("?" * len(rows[0]))
            self.conn.executemany(f"{head} values ({marks}) {tail}", rows)
            return
        found = re.fullmatch(r"insert into (\w+)(?: \(([^)]*)\))?", head.strip())
        if not found:
            raise ValueError(f"not an insert head: {head}")
        table, columns = found.group(1), found.group(2)
        listed = f" ({columns})" if columns else ""
        with self.transaction():  # the staging table lives until the COMMIT
            stage = f"stage_{next(_stages)}"
            self.execute(f"create temporary table {stage} (like {table}) on commit drop")
            with self.conn.cursor() as cur:
                with cur.copy(f"copy {stage}{listed} from stdin") as copy:
                    for row in rows:
                        copy.write_row(row)
            self.execute(f"{head} select {columns or '*'} from {stage} {tail}")

    def keyed_rows(
        self,
        columns: str,
        table: str,
        key: str,
        values: Sequence[Any],
        where: str,
        params: Sequence[Any],
    ) -> list[dict[str, Any]]:
        """`select columns from table t where ... and t.key is one of values`, as rows.

        PostgreSQL looks each value up on its own (a lateral subquery the
        planner may not flatten: `offset 0`), an index probe a value. With
        `key in (500 placeholders)`, `= any(array)` or a join to the unnested
        array, the planner of a table that grew since its statistics (a hub
        catching a city up) read all of a government's rows and filtered or
        hashed them: a batch slower as the hub grew, 0.25 s to 0.9 s over
        20,000 visits. SQLite's planner probes the index for an IN list itself.
        """
        if self.postgres:
            sql = (
                f"select {columns} from unnest(?::text[]) as k(value) cross join lateral "
                f"(select * from {table} t where {where} and t.{key} = k.value offset 0) t"
            )
            return self.rows(sql, [list(values), *params])
        marks = ", ".join("?" * len(values))
        sql = f"select {columns} from {table} t where {where} and t.{key} in ({marks})"
        return self.rows(sql, [*params, *values])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Every row of a query, as dicts."""
        return [dict(r) for r in self.execute(sql, params).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None."""
        row = self.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        row = self.one(sql, params)
        return next(iter(row.values())) if row else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[HubDB]:
        """One write transaction; nested use joins the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            if self.postgres:
                with self.conn.transaction():
                    yield self
            else:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def close(self) -> None:
        self.conn.close()


def open_hub(target: str | Path) -> HubDB:
    """Connect to the hub database: a postgresql:// URL, else an SQLite file path."""
    target = str(target)
    if is_postgres_url(target):
        import psycopg  # only a PostgreSQL hub needs it
        from psycopg.rows import dict_row

        conn = psycopg.connect(target, autocommit=True, row_factory=dict_row)
        return HubDB(conn, "postgresql")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        target, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
    return HubDB(conn, "sqlite")
