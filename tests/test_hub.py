"""The hub on SQLite and on a real PostgreSQL: tokens, the exactly-once contract, figures.

Every test that takes `hub_app` runs twice, once per backend (conftest.hub_target).
"""

from __future__ import annotations

import base64
import copy
import datetime
import io
import json
import math
import re
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pytest

from survey_app.cli import cli
from survey_app.core.hub_client import HubError
from survey_app.findings import hub as hub_figures
from survey_app.store import outbox, records, summaries
from survey_app.store.hub import figures as hub_reads
from survey_app.store.hub import governments, schema, totals
from survey_app.store.hub.backend import open_hub
from survey_app.web.hub_session import close_hubs

GOV = "kota-jambi"


def hub_db(hub_app):
    return open_hub(hub_app.config["DATABASE"])


def register(hub_app, slug=GOV, name="Kota Jambi", province="Jambi") -> str:
    db = hub_db(hub_app)
    try:
        return governments.add_government(db, slug, name, province)
    finally:
        db.close()


def sender(hub_app, token):
    """Posts a batch to the hub's API (the real blueprint, through the WSGI test client)."""
    client = hub_app.test_client()

    def send(batch):
        response = client.post(
            "/hub/api/v1/records",
            data='{"records": ['
            + ", ".join(r if isinstance(r, str) else json.dumps(r) for r in batch)
            + "]}",
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        close_hubs()  # this ran on forward()'s sending thread, which ends with the run
        if response.status_code != 200:
            raise HubError(f"hub answered {response.status_code}")
        return response.get_json()["results"]

    return send


def forward_all(db, hub_app, token, batch=500):
    return outbox.forward(db, sender(hub_app, token), batch=batch)


def test_a_token_is_shown_once_kept_hashed_and_revocable(hub_app):
    token = register(hub_app)
    db = hub_db(hub_app)
    assert governments.government_of(db, token) == GOV
    kept = db.rows("select token_hash from hub_tokens")
    assert kept and token not in json.dumps(kept)
    assert governments.revoke_tokens(db, GOV) == 1
    assert governments.government_of(db, token) is None
    db.close()
    response = hub_app.test_client().post(
        "/hub/api/v1/records", json={"records": []}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_forwarding_is_exactly_once_and_figures_match_the_city(seeded, db, hub_app):
    token = register(hub_app)
    approved = db.execute("select count(*) from visits where status = 'approved'").fetchone()[0]
    first = forward_all(db, hub_app, token, batch=7)
    assert (first.sent, first.already, first.refused) == (approved, 0, 0)
    assert outbox.status(db)["pending"] == 0
    # everything resent (a city that lost its marks): 200 each, nothing stored twice
    db.execute("update hub_outbox set sent_at = null, result = null where result = 201")
    again = forward_all(db, hub_app, token)
    assert (again.sent, again.already, again.refused) == (0, approved, 0)
    hub = hub_db(hub_app)
    assert hub_reads.counts(hub, GOV)["visits_approved"] == approved
    city = summaries.city_summary(db, None, None, "approved")
    line = hub_reads.by_government(hub, None, None)[0]
    hub.close()
    from survey_app.findings.hub import shaped

    figures = shaped(line)
    assert figures["visits"] == city["visits"] == approved
    assert figures["compliance"] == city["compliance"]
    assert figures["ikm_converted"] == city["ikm"]


def test_a_re_review_reaches_the_hub_and_an_older_change_never_wins(seeded, db, hub_app):
    token = register(hub_app)
    forward_all(db, hub_app, token)
    uuid = db.execute("select uuid from visits where status = 'approved' limit 1").fetchone()[0]
    records.set_status(db, uuid, "rejected", None, "the shopper was recognised")
    counts = forward_all(db, hub_app, token)
    assert (counts.sent, counts.refused) == (1, 0)
    hub = hub_db(hub_app)
    row = hub.one("select status, seq from hub_visits where uuid = ?", [uuid])
    assert row["status"] == "withdrawn"
    old = db.execute(
        "select payload from hub_outbox where key = ? and result = 201 order by id", [uuid]
    ).fetchone()[0]
    late = json.loads(old)  # the approval, delivered again after the rejection: a resend
    assert sender(hub_app, token)([late])[0]["status"] == 200
    assert hub.one("select status from hub_visits where uuid = ?", [uuid])["status"] == "withdrawn"
    hub.close()


def test_conflicting_content_and_unknown_versions_are_refused_per_record(seeded, db, hub_app):
    token = register(hub_app)
    forward_all(db, hub_app, token)
    payloads = [
        json.loads(r[0])
        for r in db.execute("select payload from hub_outbox where result = 201 limit 3")
    ]
    changed = copy.deepcopy(payloads[0])
    changed["data"]["visit_date"] = "2001-01-01"
    unknown = copy.deepcopy(payloads[1])
    unknown["seq"] += 10_000
    unknown["data"]["instruments"][0]["version"] = 99
    results = sender(hub_app, token)([changed, unknown, payloads[2], {"kind": "x"}])
    assert [r["status"] for r in results] == [409, 422, 200, 400]
    assert "unknown instrument version" in results[1]["error"]


def test_follow_ups_are_forwarded_with_their_state(seeded, db, hub_app):
    token = register(hub_app)
    opd = db.execute("select id from opds where slug = 'disdukcapil'").fetchone()[0]
    db.execute(
        "insert into follow_ups (opd_id, instrument_id, item_id, action, status, due_date) "
        "values (?, 'kepatuhan', 'x', 'pasang papan informasi', 'open', '2026-12-31'), "
        "(?, 'kepatuhan', 'y', 'sediakan kursi roda', 'done', '2026-12-31')",  # marked by the OPD
        [opd, opd],
    )
    counts = forward_all(db, hub_app, token)
    assert counts.refused == 0
    hub = hub_db(hub_app)
    assert hub_reads.follow_up_states(hub) == [
        {"government": GOV, "state": "done", "actions": 1},
        {"government": GOV, "state": "open", "actions": 1},
    ]
    hub.close()


def test_a_hub_that_is_down_leaves_everything_pending(seeded, db, hub_app):
    def down(_batch):
        raise HubError("connection refused")

    with pytest.raises(HubError):
        outbox.forward(db, down)
    approved = db.execute("select count(*) from visits where status = 'approved'").fetchone()[0]
    assert outbox.status(db)["pending"] == approved == 30  # older changes of a visit superseded
    assert db.execute("select count(*) from hub_outbox where result > 0").fetchone()[0] == 0


def test_hub_cli_registers_ranks_and_reports(seeded, db, hub_app, tmp_path):
    runner = hub_app.test_cli_runner()
    made = runner.invoke(cli, ["hub", "add-government", GOV, "--name", "Kota Jambi",
                               "--province", "Jambi"])  # fmt: skip
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    forward_all(db, hub_app, token)
    result = runner.invoke(cli, ["scores", "--by", "government", "--format", "json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)[0]
    assert line["government"] == GOV and line["rank"] == 1 and line["visits"] == 30
    by_opd = json.loads(runner.invoke(cli, ["scores", "--by", "opd", "--format", "json"]).output)
    assert {r["opd"] for r in by_opd} >= {"disdukcapil"}
    assert runner.invoke(cli, ["hub", "revoke-token", GOV]).output.startswith("1 token")
    pdf = tmp_path / "provinsi.pdf"
    dates = ["--from", "2020-01-01", "--to", "2030-12-31", "--province", "Jambi"]
    made = runner.invoke(cli, ["hub", "report", *dates, "--out", str(pdf)])
    assert made.exit_code == 0, made.output
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Kota Jambi" in text and "Peringkat pemerintah daerah" in text
    assert "Prakiraan, bukan opini Ombudsman." in text and "Kualitas Sedang" in text
    # numbered from the hub's register, and verifiable; a second report takes the next number
    year = datetime.datetime.now(datetime.UTC).year
    assert re.search(rf"Nomor: 001/LT-MS/\S+/[IVX]+/{year}", text), text[:400]
    checked = runner.invoke(cli, ["hub", "verify-document", str(pdf)])
    assert checked.exit_code == 0 and "document 001/LT-MS/" in checked.output
    assert "Jambi, 2020-01-01 to 2030-12-31" in checked.output
    again = tmp_path / "nasional.pdf"
    made = runner.invoke(cli, ["hub", "report", *dates[:4], "--out", str(again)])
    assert made.exit_code == 0, made.output
    second = subprocess.run(["pdftotext", str(again), "-"], capture_output=True, text=True).stdout
    assert re.search(rf"Nomor: 002/LT-MS/\S+/[IVX]+/{year}", second)
    altered = tmp_path / "diubah.pdf"
    altered.write_bytes(pdf.read_bytes() + b"\n")
    refused = runner.invoke(cli, ["hub", "verify-document", str(altered)])
    assert refused.exit_code == 1 and "unknown document" in refused.output


def test_hub_screens_need_a_hub_user_and_show_the_rankings(seeded, db, hub_app):
    token = register(hub_app)
    register(hub_app, "kab-muaro-jambi", "Kabupaten Muaro Jambi")
    forward_all(db, hub_app, token)
    hub = hub_db(hub_app)
    governments.create_user(hub, "analis", "rahasia-panjang")
    hub.close()
    client = hub_app.test_client()
    assert client.get("/hub/").status_code == 302
    assert client.get("/hub/rapor").status_code == 302
    wrong = client.post("/hub/login", data={"username": "analis", "password": "x"})
    assert wrong.status_code == 400
    client.post("/hub/login", data={"username": "analis", "password": "rahasia-panjang"})
    period = "from=2020-01-01&to=2030-12-31"
    page = client.get(f"/hub/?{period}&province=Jambi&kind=dinas").get_data(as_text=True)
    assert 'data-government="kota-jambi"' in page and "Peringkat pemerintah daerah" in page
    assert 'data-opd="kota-jambi/disdukcapil"' in page  # every dinas across governments
    assert "kepatuhan" in page  # the instrument versions used
    scores = client.get(f"/hub/scores.json?{period}&by=opd").get_json()["scores"]
    assert scores[0]["rank"] == 1 and scores[0]["government"] == GOV
    csv = client.get(f"/hub/visits.csv?{period}").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("government,uuid,opd") and len(csv.splitlines()) == 31
    # the Ombudsman readiness view: governments ranked, their OPDs, labelled a forecast
    page = client.get(f"/hub/rapor?{period}&province=Jambi").get_data(as_text=True)
    assert "Prakiraan, bukan opini Ombudsman." in page
    assert 'data-government="kota-jambi"' in page and 'data-opd="kota-jambi/disdukcapil"' in page
    assert "Kualitas Sedang" in page and '<sup class="unconfirmed">*</sup>' in page
    # with governments of two provinces, the readiness view is made per province: asked first
    register(hub_app, "kota-pekanbaru", "Kota Pekanbaru", "Riau")
    page = client.get(f"/hub/rapor?{period}").get_data(as_text=True)
    assert "Pilih provinsi" in page and "data-government=" not in page
    page = client.get(f"/hub/rapor?{period}&province=Jambi").get_data(as_text=True)
    assert 'data-government="kota-jambi"' in page and "Pilih provinsi" not in page


def test_photos_travel_as_thumbnails_and_leave_with_a_withdrawn_visit(seeded, db, hub_app):
    token = register(hub_app)
    outbox.forward(db, sender(hub_app, token), photo_dir=seeded.config["PHOTOS_DIR"])
    expected = db.execute(
        "select count(*) from visit_photos p join visits v on v.uuid = p.visit_uuid "
        "where v.status = 'approved'"
    ).fetchone()[0]
    hub = hub_db(hub_app)
    rows = hub.rows("select uuid, thumbnail from hub_photos")
    assert len(rows) == expected > 0
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(rows[0]["thumbnail"])))
    assert image.format == "JPEG" and max(image.size) <= outbox.THUMB_SIDE
    records.set_status(db, rows[0]["uuid"], "rejected", None, "recognised")
    outbox.forward(db, sender(hub_app, token), photo_dir=seeded.config["PHOTOS_DIR"])
    left = hub.value("select count(*) from hub_photos where uuid = ?", [rows[0]["uuid"]])
    hub.close()
    assert left == 0


def _dimension_scores_from_raw(hub, government, date_from, date_to):
    """Each Ombudsman dimension's score recomputed from the raw forwarded rows, apart from
    core/rapor.py: every scored item tagged with a dimension adds weight x credit (a yes/no
    1 or 0, an SKM answer value/4), plus time and fee kept against the forwarded standard."""
    from fractions import Fraction

    from survey_app.core import scoring
    from survey_app.core.instruments import build

    defs = {
        (r["id"], int(r["version"])): build(json.loads(r["definition"]), stored=True)
        for r in hub.rows("select id, version, definition from hub_instruments")
    }
    sums = {d: [Fraction(0), Fraction(0)] for d in ("input", "proses", "output", "pengaduan")}

    def add(dimension, weight, credit):
        weight = Fraction(weight).limit_denominator(10**6)
        sums[dimension][0] += weight
        sums[dimension][1] += weight * credit

    rows = hub.rows(
        "select d.instruments, d.answers, d.standard from hub_visits v join hub_visit_details d "
        "on d.government = v.government and d.uuid = v.uuid where v.government = ? "
        "and v.status = 'approved' and v.visit_date between ? and ?",
        [government, date_from, date_to],
    )
    for row in rows:
        answers, standard = json.loads(row["answers"]), json.loads(row["standard"])
        roles = {}
        for ref in json.loads(row["instruments"]):
            inst = defs[(ref["id"], int(ref["version"]))]
            given = inst.relevant_answers(answers.get(inst.id, {}))
            for item in inst.items:
                value = given.get(item.id)
                if item.role and value not in (None, ""):
                    roles[item.role] = value
                dimension = item.tags.get("ombudsman")
                if not item.scored or not dimension or value in (None, "", "na"):
                    continue
                if item.type == "scale4":
                    add(dimension, item.weight, Fraction(int(value), 4))
                elif (verdict := item.passed(value)) is not None:
                    add(dimension, item.weight, 1 if verdict else 0)
        total = scoring.minutes_between(roles.get("arrival"), roles.get("service_end"))
        if total is not None and standard["max_minutes"] is not None:
            add("proses", 1, 1 if total <= standard["max_minutes"] else 0)
        asked = roles.get("fee_asked")
        if asked is not None and standard["fee"] is not None:
            add("proses", 1, 1 if int(asked) <= standard["fee"] else 0)
    return {d: scoring.round2(100 * c / w) if w else None for d, (w, c) in sums.items()}


def test_ombudsman_readiness_per_government_recomputed_from_the_raw_answers(seeded, db, hub_app):
    from survey_app.findings import hub_rapor
    from survey_app.findings import rapor as city_rapor

    token = register(hub_app)
    opd = db.execute("select id from opds where slug = 'disdukcapil'").fetchone()[0]
    db.execute(  # overdue: the 2025 opinion cannot add "Tanpa Maladministrasi"
        "insert into follow_ups (opd_id, instrument_id, item_id, action, status, due_date) "
        "values (?, 'kepatuhan', 'x', 'pasang papan informasi', 'open', '2020-01-31')",
        [opd],
    )
    assert forward_all(db, hub_app, token).refused == 0
    period = ("2020-01-01", "2030-12-31")
    hub = hub_db(hub_app)
    doc = hub_rapor.readiness(hub, *period, "Jambi")
    raw = _dimension_scores_from_raw(hub, GOV, *period)
    hub.close()
    [gov] = doc["governments"]
    scores = {d["code"]: d["score"] for d in gov["readiness"]["dimensions"]}
    assert scores == raw and any(raw.values())
    # the same visits make the same rapor in the city (it has no probes in the demo data)
    city = city_rapor.city_rapor(db, *period)
    assert [d["score"] for d in gov["readiness"]["dimensions"]] == [
        d["score"] for d in city["independent"]["dimensions"]
    ]
    assert gov["readiness"]["overall"] == city["independent"]["overall"]
    assert gov["counts"]["visits"] == city["counts"]["visits"] and "unscored" not in gov["counts"]
    opinion = gov["readiness"]["forecast"][2]
    assert opinion["scheme"] == "ombudsman-2025" and opinion["condition"]["met"] is False
    assert [o["rank"] for o in gov["opds"]] == list(range(1, len(gov["opds"]) + 1))
    assert doc["schemes_unconfirmed"]  # the 2025 cut-offs are estimates


def half_up(value: float) -> Decimal:
    """Two decimals, half up on the float's shortest repr (as the printed figures)."""
    return Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _raw_groups(hub, date_from, date_to, key):
    """Visits, mean compliance and converted IKM per group, straight from the visit rows."""
    groups: dict[str, list[dict]] = {}
    for row in hub.rows("select * from hub_visits where status = 'approved'"):
        if date_from <= row["visit_date"] <= date_to:
            groups.setdefault(key(row), []).append(row)
    out = {}
    for name, rows in groups.items():
        scores = [r["compliance"] for r in rows if r["compliance"] is not None]
        nrr = [
            math.fsum(r[f"u{n}_sum"] for r in rows) / math.fsum(r[f"u{n}_n"] for r in rows)
            for n in range(1, 10)
        ]
        out[name] = (
            len(rows),
            half_up(math.fsum(scores) / len(scores)) if scores else None,
            half_up(25 * math.fsum(nrr) / 9),
        )
    return out


def test_day_totals_follow_every_change_and_give_the_visits_figures(seeded, db, hub_app):
    token = register(hub_app)
    other = register(hub_app, "kab-muaro-jambi", "Kabupaten Muaro Jambi")
    forward_all(db, hub_app, token)
    payloads = [
        json.loads(r[0]) for r in db.execute("select payload from hub_outbox where result = 201")
    ]
    visits = [p for p in payloads if p["kind"] == "visit"]
    send = sender(hub_app, other)
    assert {r["status"] for r in send(payloads)} == {201}
    moved, withdrawn, rescored = (copy.deepcopy(p) for p in visits[:3])
    moved["seq"] += 100
    moved["data"]["visit_date"] = "2026-01-01"  # a re-review moved it to another day
    withdrawn["seq"] += 100
    withdrawn["status"] = "withdrawn"
    rescored["seq"] += 100
    rescored["data"]["brief"]["compliance"]["score"] = 0.0
    results = send([moved, withdrawn, rescored, visits[0]])  # and a late older change
    assert [r["status"] for r in results] == [201, 201, 201, 200]

    hub = hub_db(hub_app)
    kept = hub.rows("select * from hub_day_totals order by government, day")
    assert {r["day"] for r in kept if r["government"] == "kab-muaro-jambi"} >= {"2026-01-01"}
    # every day row is what counting that day's approved visits gives
    for row in kept:
        day = [
            v
            for v in hub.rows(
                "select * from hub_visits where government = ? and visit_date = ? "
                "and status = 'approved'",
                [row["government"], row["day"]],
            )
        ]
        assert row["visits"] == len(day) > 0
        assert row["u3_sum"] == sum(v["u3_sum"] for v in day)
        assert row["over_max"] == sum(v["over_max"] for v in day)
        assert row["c_sum"] == pytest.approx(math.fsum(v["compliance"] or 0 for v in day))
    days = {(r["government"], r["day"]) for r in kept}
    approved = hub.rows("select distinct government, visit_date from hub_visits "
                        "where status = 'approved'")  # fmt: skip
    assert days == {(r["government"], r["visit_date"]) for r in approved}
    assert totals.rebuild(hub) == len(kept)
    assert hub.rows("select * from hub_day_totals order by government, day") == kept
    # a hub of schema version 2 counts them when it is brought up to date
    hub.execute("drop table hub_day_totals")
    hub.execute("drop table hub_rapor_tallies")
    hub.execute("drop table hub_documents")
    hub.execute("alter table hub_governments drop column changes")
    hub.execute("delete from hub_schema where version > 2")
    schema.migrate(hub)
    assert hub.rows("select * from hub_day_totals order by government, day") == kept

    # a period that is not whole months, through the figures' own route
    dates = sorted(v["data"]["visit_date"] for v in visits)
    date_from, date_to = dates[len(dates) // 4], dates[3 * len(dates) // 4]
    raw_gov = _raw_groups(hub, date_from, date_to, lambda r: r["government"])
    raw_month = _raw_groups(hub, date_from, date_to, lambda r: r["visit_date"][:7])
    doc = hub_figures.overview(hub, date_from, date_to)
    hub.close()
    assert raw_gov["kota-jambi"] != raw_gov["kab-muaro-jambi"]  # the changes count
    shown = {
        g["government"]: (
            g["figures"]["visits"],
            g["figures"]["compliance"],
            g["figures"]["ikm_converted"],
        )  # fmt: skip
        for g in doc["governments"]
    }
    assert shown == {k: (n, float(c), float(i)) for k, (n, c, i) in raw_gov.items()}
    months = {m["month"]: (m["visits"], m["compliance"], m["ikm_converted"]) for m in doc["months"]}
    assert months == {k: (n, float(c), float(i)) for k, (n, c, i) in raw_month.items()}


def test_a_city_restored_from_a_backup_numbers_its_changes_above_the_hubs(seeded, db, hub_app):
    token = register(hub_app)
    forward_all(db, hub_app, token)
    client = hub_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    last = client.get("/hub/api/v1/records/last", headers=auth).get_json()["last_seq"]
    assert last == db.execute("select max(id) from hub_outbox").fetchone()[0] > 10
    # The backup was taken after the first ten changes sent, while the ninth and tenth
    # were being sent (frozen, not yet marked): the restored outbox ends there.
    sent = [r[0] for r in db.execute("select id from hub_outbox where result = 201 order by id")]
    cut = sent[9]
    db.execute("delete from hub_outbox where id > ?", [cut])
    db.execute("update hub_outbox set sent_at = null, result = null where id in (?, ?)", sent[8:10])
    db.execute("update sqlite_sequence set seq = ? where name = 'hub_outbox'", [cut])
    uuids = [r[0] for r in db.execute("select uuid from visits where status = 'approved' limit 2")]
    for uuid in uuids:  # two re-reviews: numbered cut + 1 and cut + 2 again, held by the hub
        records.set_status(db, uuid, "rejected", None, "the shopper was recognised")
    pending = [r[0] for r in db.execute("select id from hub_outbox where sent_at is null")]
    assert pending == [*sent[8:10], cut + 1, cut + 2]

    def hub_last():
        return client.get("/hub/api/v1/records/last", headers=auth).get_json()["last_seq"]

    counts = outbox.forward(db, sender(hub_app, token), last_seq=hub_last)
    # the ninth and tenth resent as frozen, byte for byte (the hub has them: 200); the
    # re-reviews numbered above the hub's last
    assert (counts.sent, counts.already, counts.refused) == (2, 2, 0)
    assert [r[0] for r in db.execute("select id from hub_outbox where id > ?", [cut])] == [
        last + 1,
        last + 2,
    ]
    hub = hub_db(hub_app)
    states = {r["status"] for r in hub.rows(
        "select status from hub_visits where uuid in (?, ?)", uuids
    )}  # fmt: skip
    hub.close()
    assert states == {"withdrawn"}
    # the next change continues above them, and nothing is pending
    records.set_status(db, uuids[0], "approved", None, None)
    assert db.execute("select max(id) from hub_outbox").fetchone()[0] == last + 3
    assert outbox.forward(db, sender(hub_app, token), last_seq=hub_last).sent == 1
    assert outbox.status(db)["pending"] == 0

    def unreachable():
        raise HubError("connection refused")

    # with nothing to send the hub is not asked (a background round costs it nothing)
    assert outbox.forward(db, sender(hub_app, token), last_seq=unreachable).sent == 0


def test_readiness_tallies_are_kept_per_month_and_dropped_when_a_visit_changes(seeded, db, hub_app):
    from survey_app.findings import hub_rapor
    from survey_app.store.hub import rapor_tallies

    token = register(hub_app)
    forward_all(db, hub_app, token)
    dates = sorted(
        r[0] for r in db.execute("select visit_date from visits where status = 'approved'")
    )
    # a period that is not whole months: a partial month at each end, whole months between
    period = (dates[2], dates[-3])
    assert period[0][8:] != "01" and period[0][:7] < period[1][:7]
    hub = hub_db(hub_app)

    def scores():
        doc = hub_rapor.readiness(hub, *period)
        [gov] = doc["governments"]
        return gov["counts"]["visits"], {
            d["code"]: d["score"] for d in gov["readiness"]["dimensions"]
        }

    def kept_months():
        return {r["month"] for r in hub.rows("select month from hub_rapor_tallies")}

    whole = {d[:7] for d in dates if period[0][:7] < d[:7] < period[1][:7]}
    in_period = sum(period[0] <= d <= period[1] for d in dates)
    first = scores()
    assert kept_months() == whole and whole  # made the first time, the partial months not
    assert first == (in_period, _dimension_scores_from_raw(hub, GOV, *period))
    assert scores() == first  # read from the kept tallies: the same figures

    # a re-review withdraws a visit of a whole month: its month is dropped and counted again
    payloads = [
        json.loads(r[0]) for r in db.execute("select payload from hub_outbox where result = 201")
    ]
    [gone] = [p for p in payloads if p["kind"] == "visit" and p["data"]["visit_date"][:7] in whole][
        :1
    ]
    gone = copy.deepcopy(gone)
    gone["seq"] += 1000
    gone["status"] = "withdrawn"
    assert sender(hub_app, token)([gone])[0]["status"] == 201
    month = gone["data"]["visit_date"][:7]
    assert kept_months() == whole - {month}
    after = scores()
    assert after == (in_period - 1, _dimension_scores_from_raw(hub, GOV, *period))
    assert kept_months() == whole

    # a tally made from visits read before a batch arrived is not kept
    seen = rapor_tallies.changes(hub, [GOV])[GOV]
    hub.execute("delete from hub_rapor_tallies where month = ?", [month])
    assert sender(hub_app, token)([dict(gone, seq=gone["seq"] + 1)])[0]["status"] == 201
    assert rapor_tallies.keep(hub, GOV, month, {}, seen) is False
    assert month not in kept_months()
    # and a new instrument definition drops them all
    hub.execute("update hub_instruments set definition = '{}' where id = 'kepatuhan'")
    from survey_app.core.instruments import load_directory

    governments.load_instruments(hub, load_directory(hub_app.config["INSTRUMENTS_DIR"])[0])
    assert kept_months() == set()
    assert scores() == after
    hub.close()
