"""Kill the hub mid-forward, kill the city mid-forward: real processes, real PostgreSQL.

Afterwards the counts on both sides agree: every approved visit of the city
is at the hub once, nothing lost, nothing doubled. The counts are printed
(pytest -s shows them; -rA keeps them in the summary).
"""

from __future__ import annotations

import os
import re
import subprocess
import time

from survey_app.store import outbox
from survey_app.store.hub import figures as hub_reads
from survey_app.store.hub import governments
from survey_app.store.hub.backend import open_hub

from .servers import EXE, ServerProcess

COPIES = 100  # of the 30 demo visits: 3,030 approved visits to forward


def more_approved_visits(db, copies: int) -> int:
    """Copies of the approved visits under new UUIDs (the outbox triggers queue each)."""
    columns = [r[1] for r in db.execute("pragma table_info(visits)") if r[1] != "uuid"]
    names = ", ".join(columns)
    originals = [r[0] for r in db.execute("select uuid from visits where status = 'approved'")]
    pairs = [(u[:-4] + f"{k:04x}", u) for k in range(1, copies + 1) for u in originals]
    with db.conn:
        db.conn.executemany(
            f"insert into visits (uuid, {names}) select ?, {names} from visits where uuid = ?",
            pairs,
        )
        for table, copied in (
            ("answers", "instrument_id, item_id, value, note"),
            ("visit_instruments", "instrument_id, instrument_version, position"),
        ):
            db.conn.executemany(
                f"insert into {table} (visit_uuid, {copied}) select ?, {copied} from {table} "
                "where visit_uuid = ?",
                pairs,
            )
    return db.execute("select count(*) from visits where status = 'approved'").fetchone()[0]


def hub_server(hub_app) -> ServerProcess:
    server = ServerProcess(hub_app)
    server.env["SURVEY_APP_ROLE"] = "hub"
    return server


def city_env(city_app, hub_url: str, token: str) -> dict:
    return {
        **os.environ,
        "SURVEY_APP_DATABASE": city_app.config["DATABASE"],
        "SURVEY_APP_SECRET_KEY": "x",
        "SURVEY_APP_HUB_URL": hub_url,
        "SURVEY_APP_HUB_TOKEN": token,
    }


def hub_count(hub_app) -> int:
    db = open_hub(hub_app.config["DATABASE"])
    try:
        return hub_reads.counts(db).get("visits_approved", 0)
    finally:
        db.close()


def wait_for(condition, within: float = 120.0, step: float = 0.02) -> bool:
    deadline = time.time() + within
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def agree(db, hub_app, label: str) -> dict:
    """Both sides' counts, printed for the record; they must be equal."""
    city = db.execute("select count(*) from visits where status = 'approved'").fetchone()[0]
    hub = open_hub(hub_app.config["DATABASE"])
    at_hub = hub.rows("select uuid from hub_visits where status = 'approved'")
    counts = hub_reads.counts(hub)
    hub.close()
    uuids = {r[0] for r in db.execute("select uuid from visits where status = 'approved'")}
    state = outbox.status(db)
    line = {
        "city_approved": city,
        "hub_approved": len(at_hub),
        "hub_distinct": len({r["uuid"] for r in at_hub}),
        "hub_receipts": counts["receipts"],
        "city_pending": state["pending"],
        "city_refused": state["refused"],
    }
    print(f"\n[{label}] {line}")
    assert {r["uuid"] for r in at_hub} == uuids
    assert line["hub_approved"] == line["hub_distinct"] == city
    assert state["pending"] == state["refused"] == 0
    return line


def register(hub_app) -> str:
    db = open_hub(hub_app.config["DATABASE"])
    try:
        return governments.add_government(db, "kota-jambi", "Kota Jambi", "Jambi")
    finally:
        db.close()


def forward(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), "forward", *args], env=env, capture_output=True, text=True, timeout=600
    )


def test_kill_the_hub_mid_forward_then_catch_up(seeded, db, hub_app):
    total = more_approved_visits(db, COPIES)
    token = register(hub_app)
    hub = hub_server(hub_app).start()
    env = city_env(seeded, hub.url, token)
    sending = subprocess.Popen(
        [str(EXE), "forward", "--batch", "50"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: hub_count(hub_app) > 0)
        hub.kill()  # SIGKILL, mid-batch or between batches
        out, err = sending.communicate(timeout=300)
    finally:
        hub.stop()
        if sending.poll() is None:
            sending.kill()
            sending.wait()
    at_kill = hub_count(hub_app)
    print(f"\n[hub killed] hub had {at_kill} of {total}; forward said: {err.strip()[-120:]}")
    assert sending.returncode == 1 and "still pending" in err
    assert 0 < at_kill < total
    hub = hub_server(hub_app).start()
    try:
        env["SURVEY_APP_HUB_URL"] = hub.url
        result = forward(env)
    finally:
        hub.stop()
    print(f"[hub killed] catch-up run: {result.stdout.strip()}")
    assert result.returncode == 0, result.stderr
    agree(db, hub_app, "hub killed")


def test_kill_the_city_mid_forward_then_catch_up(seeded, db, hub_app):
    total = more_approved_visits(db, COPIES)
    token = register(hub_app)
    hub = hub_server(hub_app).start()
    try:
        city = ServerProcess(seeded)  # forwards in the background once it serves
        city.env.update(
            SURVEY_APP_HUB_URL=hub.url,
            SURVEY_APP_HUB_TOKEN=token,
            SURVEY_APP_HUB_FORWARD_SECONDS="0.2",
        )
        city.start()
        try:
            assert wait_for(lambda: hub_count(hub_app) > 0)
            city.kill()  # SIGKILL: a batch may be stored at the hub but not marked here
        finally:
            city.stop()
        at_kill = hub_count(hub_app)
        marked = db.execute("select count(*) from hub_outbox where result = 201").fetchone()[0]
        print(f"\n[city killed] hub had {at_kill} of {total}; the city had marked {marked}")
        assert 0 < at_kill < total
        result = forward(city_env(seeded, hub.url, token))
    finally:
        hub.stop()
    print(f"[city killed] catch-up run: {result.stdout.strip()}")
    assert result.returncode == 0, result.stderr
    line = agree(db, hub_app, "city killed")
    sent, already = (int(x) for x in re.findall(r"(?:sent|there) (\d+)", result.stdout))
    # what the hub stored before the kill but the city never marked comes back as a resend (200)
    assert marked + sent + already == total == line["hub_receipts"]
