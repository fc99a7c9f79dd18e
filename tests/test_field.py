"""The evaluator's visit through the Flask test client."""

import io
import re

import pytest
from PIL import Image

from survey_app.store import records


def opd_id(db, slug):
    return records.opd_by_slug(db, slug)["id"]


def service_of(db, slug):
    return db.execute(
        "select s.id from services s join opds o on o.id = s.opd_id "
        "where o.slug = ? order by s.id limit 1",
        [slug],
    ).fetchone()[0]


def start_visit(
    client, db, slug="disdukcapil", instruments=("kunjungan:2", "skm:1", "kepatuhan:1")
):
    response = client.post(
        "/visits/new",
        data={
            "opd": opd_id(db, slug),
            "service": service_of(db, slug),
            "instruments": list(instruments),
            "visit_date": _today(),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return re.search(r"/visits/([0-9a-f-]{36})/s/0", response.headers["Location"]).group(1)


def _today():
    import datetime as dt

    return dt.date.today().isoformat()


def jpeg(width=2400, height=1800, color=(200, 120, 40)):
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def evaluator(client, auth, world):
    auth.login("evaluator1")
    return client


def test_start_refuses_own_opd(evaluator, db):
    response = evaluator.post(
        "/visits/new",
        data={
            "opd": opd_id(db, "kec-telanaipura"),
            "service": service_of(db, "kec-telanaipura"),
            "instruments": ["skm:1"],
            "visit_date": _today(),
        },
    )
    assert response.status_code == 400
    assert "Anda tidak dapat menilai OPD tempat Anda bekerja" in response.get_data(as_text=True)
    assert db.table("visits").count == 0


def test_start_refuses_service_of_another_opd(evaluator, db):
    response = evaluator.post(
        "/visits/new",
        data={
            "opd": opd_id(db, "disdukcapil"),
            "service": service_of(db, "dishub"),
            "instruments": ["skm:1"],
            "visit_date": _today(),
        },
    )
    assert response.status_code == 400 and db.table("visits").count == 0


def test_start_refuses_future_date_and_no_instrument(evaluator, db):
    response = evaluator.post(
        "/visits/new",
        data={
            "opd": opd_id(db, "disdukcapil"),
            "service": service_of(db, "disdukcapil"),
            "instruments": [],
            "visit_date": "2099-01-01",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Pilih setidaknya satu instrumen." in page
    assert "30 hari terakhir" in page


def test_draft_is_saved_and_restored(evaluator, db):
    uuid = start_visit(evaluator, db)
    evaluator.post(
        f"/visits/{uuid}/s/0",
        data={"kunjungan__layanan_diminta": "Cetak ulang KTP-el", "go": "next"},
    )
    page = evaluator.get(f"/visits/{uuid}/s/0").get_data(as_text=True)
    assert 'value="Cetak ulang KTP-el"' in page
    assert (
        records.visit(db, uuid)["answers"]["kunjungan"]["layanan_diminta"] == "Cetak ulang KTP-el"
    )


def section_index(db, uuid, inst_id, item_id):
    record = records.visit(db, uuid)
    n = 0
    for inst in records.visit_instruments(db, record):
        for section in inst.sections:
            if any(i.id == item_id for i in section.items) and inst.id == inst_id:
                return n
            n += 1
    raise AssertionError(item_id)


@pytest.mark.parametrize(
    ("inst", "item", "value", "message"),
    [
        ("kunjungan", "biaya_diminta", "-5", "Masukkan angka antara"),
        ("kunjungan", "biaya_diminta", "banyak", "Not a valid integer value."),
        ("kunjungan", "jam_tiba", "25:99", "Not a valid time value."),
        ("skm", "u1", "7", "Not a valid choice."),
        ("kepatuhan", None, "maybe", "Not a valid choice."),
    ],
)
def test_each_field_type_is_validated_and_input_kept(evaluator, db, inst, item, value, message):
    uuid = start_visit(evaluator, db)
    record = records.visit(db, uuid)
    kepatuhan = [i for i in records.visit_instruments(db, record) if i.id == "kepatuhan"][0]
    item = item or next(i.id for i in kepatuhan.items if i.type == "yesno")
    n = section_index(db, uuid, inst, item)
    response = evaluator.post(
        f"/visits/{uuid}/s/{n}", data={f"{inst}__{item}": value, "go": "next"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    translated = {
        "Not a valid integer value.": "Bukan bilangan bulat yang valid",
        "Not a valid time value.": "Bukan waktu yang valid",
        "Not a valid choice.": "Bukan pilihan yang valid",
    }.get(message, message)
    assert translated in page, page[:3000]
    if inst == "kunjungan":
        assert f'value="{value}"' in page  # what was typed is kept
    assert item not in records.visit(db, uuid)["answers"].get(inst, {})


def test_invalid_field_does_not_lose_valid_ones(evaluator, db):
    uuid = start_visit(evaluator, db)
    n = section_index(db, uuid, "kunjungan", "jam_tiba")
    response = evaluator.post(
        f"/visits/{uuid}/s/{n}",
        data={"kunjungan__jam_tiba": "08:05", "kunjungan__jam_mulai": "99:99", "go": "next"},
    )
    assert response.status_code == 400
    assert records.visit(db, uuid)["answers"]["kunjungan"]["jam_tiba"] == "08:05"


def test_skip_logic_enforced_on_the_server(evaluator, db):
    uuid = start_visit(evaluator, db)
    n = section_index(db, uuid, "kunjungan", "jam_tiket")
    evaluator.post(
        f"/visits/{uuid}/s/{n}",
        data={
            "kunjungan__ada_antrian": "no",
            "kunjungan__jam_tiket": "08:10",
            "kunjungan__jam_tiba": "08:00",
            "go": "next",
        },
    )
    answers = records.visit(db, uuid)["answers"]["kunjungan"]
    assert answers["ada_antrian"] == "no" and "jam_tiket" not in answers
    evaluator.post(
        f"/visits/{uuid}/s/{n}",
        data={"kunjungan__ada_antrian": "yes", "kunjungan__jam_tiket": "08:10", "go": "next"},
    )
    assert records.visit(db, uuid)["answers"]["kunjungan"]["jam_tiket"] == "08:10"


def test_submit_refused_until_required_items_answered(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    evaluator.post(f"/visits/{uuid}/s/0", data={"skm__u1": "4", "go": "review"})
    response = evaluator.post(f"/visits/{uuid}/review")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"/visits/{uuid}/s/0#item-skm__u2" in page
    record = records.visit(db, uuid)
    assert record["status"] == "draft" and record["answers"]["skm"] == {"u1": 4}
    evaluator.post(f"/visits/{uuid}/s/0", data={f"skm__u{n}": "3" for n in range(1, 10)})
    response = evaluator.post(f"/visits/{uuid}/review")
    assert response.status_code == 302
    assert records.visit(db, uuid)["status"] == "submitted"
    # read-only now
    assert evaluator.get(f"/visits/{uuid}/s/0").status_code == 403
    assert evaluator.post(f"/visits/{uuid}/s/0", data={"skm__u1": "1"}).status_code == 403


def test_autosave_returns_json(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    response = evaluator.post(f"/visits/{uuid}/s/0", data={"skm__u3": "2", "autosave": "1"})
    assert response.get_json() == {"saved": True, "errors": {}}
    assert records.visit(db, uuid)["answers"]["skm"]["u3"] == 2


def test_photo_upload_downscaled_and_stored(app, evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("kunjungan:2",))
    response = evaluator.post(
        f"/visits/{uuid}/photos",
        data={"photo": (io.BytesIO(jpeg()), "big.jpg"), "item": "kunjungan__foto_bukti"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert max(body["width"], body["height"]) == 1600
    assert records.photo_path(app.config["PHOTOS_DIR"], body["sha256"]).exists()
    assert records.visit(db, uuid)["photos"][0]["item_id"] == "foto_bukti"
    again = evaluator.post(
        f"/visits/{uuid}/photos",
        data={"photo": (io.BytesIO(jpeg()), "big.jpg"), "item": "kunjungan__foto_bukti"},
    )
    assert again.status_code == 201
    assert db.table("photos").count == 1 and db.table("visit_photos").count == 1
    image = evaluator.get(body["url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    image.close()
    evaluator.post(
        f"/visits/{uuid}/photos/{body['sha256']}/delete", data={"item_id": "foto_bukti", "js": "1"}
    )
    assert records.visit(db, uuid)["photos"] == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"GIF89a" + b"\0" * 100, "a.gif", "Hanya foto JPEG, PNG, atau WebP"),
        (b"\xff\xd8\xff" + b"\0" * 100, "broken.jpg", "rusak atau tidak lengkap"),
        (b"", "empty.jpg", "kosong"),
    ],
)
def test_bad_photos_refused(app, evaluator, db, data, name, message):
    uuid = start_visit(evaluator, db, instruments=("kunjungan:2",))
    response = evaluator.post(
        f"/visits/{uuid}/photos", data={"photo": (io.BytesIO(data), name), "item": ""}
    )
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert db.table("photos").count == 0


def test_oversized_photo_refused(app, evaluator, db):
    app.config["MAX_PHOTO_BYTES"] = 1000
    uuid = start_visit(evaluator, db, instruments=("kunjungan:2",))
    response = evaluator.post(
        f"/visits/{uuid}/photos", data={"photo": (io.BytesIO(jpeg(200, 200)), "a.jpg")}
    )
    assert response.status_code == 400 and "terlalu besar" in response.get_json()["error"]


def test_photo_on_item_without_photos_refused(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    response = evaluator.post(
        f"/visits/{uuid}/photos",
        data={"photo": (io.BytesIO(jpeg(100, 100)), "a.jpg"), "item": "skm__u1"},
    )
    assert response.status_code == 400


def test_a_failing_answer_takes_a_photo_even_without_photo_true(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("kunjungan:2",))
    response = evaluator.post(
        f"/visits/{uuid}/photos",
        data={"photo": (io.BytesIO(jpeg(100, 100)), "a.jpg"), "item": "kunjungan__imbalan_diminta"},
    )
    assert response.status_code == 201
    assert [p["item_id"] for p in records.visit(db, uuid)["photos"]] == ["imbalan_diminta"]


# --- evidence: a failing answer's detail and the narrative it drafts -------------------

BRIBE = "Apakah petugas meminta atau mengisyaratkan imbalan, uang rokok, atau uang pelicin"


def test_detail_is_kept_as_the_items_note_and_drafts_the_narrative(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("kunjungan:2",))
    fee = {"kunjungan__biaya_diminta": "0", "kunjungan__imbalan_diminta": "yes", "go": "next"}
    detail = {"note-kunjungan__imbalan_diminta": "  Diminta Rp 20.000 <b>rokok</b>  "}
    assert evaluator.post(f"/visits/{uuid}/s/2", data=fee | detail).status_code == 302
    assert records.visit(db, uuid)["notes"] == {
        "kunjungan": {"imbalan_diminta": "Diminta Rp 20.000 <b>rokok</b>"}
    }
    page = evaluator.get(f"/visits/{uuid}/s/2").get_data(as_text=True)
    assert 'class="item required type-yesno failing"' in page and 'data-fails-on="yes"' in page
    assert "Diminta Rp 20.000 &lt;b&gt;rokok&lt;/b&gt;</textarea>" in page

    narrative = evaluator.get(f"/visits/{uuid}/s/4").get_data(as_text=True)
    assert f"{BRIBE} di luar tarif resmi?: Diminta Rp 20.000 &lt;b&gt;rokok&lt;/b&gt;" in narrative


def test_the_narrative_is_drafted_again_while_untouched_and_never_over_typed_text(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("kunjungan:2",))
    evaluator.post(f"/visits/{uuid}/s/2", data={"kunjungan__imbalan_diminta": "yes"})
    draft = f"{BRIBE} di luar tarif resmi?:"
    assert draft in evaluator.get(f"/visits/{uuid}/s/4").get_data(as_text=True)
    evaluator.post(f"/visits/{uuid}/s/4", data={"kunjungan__narasi": draft})  # saved untouched
    evaluator.post(
        f"/visits/{uuid}/s/2",
        data={"kunjungan__imbalan_diminta": "yes", "note-kunjungan__imbalan_diminta": "Rokok."},
    )
    assert f"{draft} Rokok." in evaluator.get(f"/visits/{uuid}/s/4").get_data(as_text=True)
    evaluator.post(f"/visits/{uuid}/s/4", data={"kunjungan__narasi": "Tulisan saya sendiri."})
    page = evaluator.get(f"/visits/{uuid}/s/4").get_data(as_text=True)
    assert "Tulisan saya sendiri.</textarea>" in page and "Rokok." not in page


# --- authorisation ---------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, world):
    for path in ("/visits/", "/visits/new", "/review/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_evaluator_cannot_open_supervisor_pages(evaluator):
    assert evaluator.get("/review/").status_code == 403


def test_evaluator_cannot_open_another_evaluators_visit(client, auth, db, world):
    auth.login("evaluator1")
    uuid = start_visit(client, db, instruments=("skm:1",))
    auth.logout()
    auth.login("evaluator2")
    assert client.get(f"/visits/{uuid}/s/0").status_code == 403
    assert client.get(f"/visits/{uuid}/review").status_code == 403
    assert client.post(f"/visits/{uuid}/s/0", data={"skm__u1": "1"}).status_code == 403
    assert client.post(f"/visits/{uuid}/photos", data={}).status_code == 403
    assert uuid not in client.get("/visits/").get_data(as_text=True)


def test_supervisor_cannot_fill_visits_but_can_read(client, auth, db, world):
    auth.login("evaluator1")
    uuid = start_visit(client, db, instruments=("skm:1",))
    auth.logout()
    auth.login("supervisor")
    assert client.get("/visits/new").status_code == 403
    assert client.get(f"/visits/{uuid}/s/0").status_code == 403
    assert client.get(f"/visits/{uuid}/review").status_code == 200
    assert client.get("/review/").status_code == 200


def test_unknown_visit_is_404(evaluator):
    assert evaluator.get("/visits/00000000-0000-4000-8000-000000000000/s/0").status_code == 404


def test_evaluator_list_shows_returned_note(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    records.set_status(db, uuid, "returned", None, note="Lengkapi foto antrian")
    page = evaluator.get("/visits/").get_data(as_text=True)
    assert "Dikembalikan untuk diperbaiki" in page and "Lengkapi foto antrian" in page


def test_list_shows_short_indonesian_dates_newest_visit_first(evaluator, db):
    older = start_visit(evaluator, db, instruments=("skm:1",))
    newer = start_visit(evaluator, db, slug="dishub", instruments=("skm:1",))
    db.execute("update visits set visit_date = '2026-11-02' where uuid = ?", [older])
    db.execute("update visits set visit_date = '2026-12-02' where uuid = ?", [newer])
    # The older visit was changed last: the visit date decides, not the last change.
    db.execute("update visits set updated_at = '2099-01-01T00:00:00+00:00' where uuid = ?", [older])
    page = evaluator.get("/visits/").get_data(as_text=True)
    assert "2 Des 2026" in page and "2 Nov 2026" in page and "2026-12-02" not in page
    assert page.index(newer) < page.index(older)


def test_draft_discarded_after_confirmation(evaluator, db):
    uuid = start_visit(evaluator, db, instruments=("skm:1",))
    evaluator.post(f"/visits/{uuid}/s/0", data={"skm__u1": "3"})
    assert evaluator.get("/visits/").get_data(as_text=True).count(f"/visits/{uuid}/discard") == 1
    confirm = evaluator.get(f"/visits/{uuid}/discard").get_data(as_text=True)
    assert "Buang draf ini?" in confirm and "Dinas Kependudukan" in confirm
    assert records.visit(db, uuid)["status"] == "draft"  # asking changes nothing
    evaluator.post(f"/visits/{uuid}/discard")  # not from the page's button: nothing goes
    assert records.visit(db, uuid)["status"] == "draft"
    response = evaluator.post(f"/visits/{uuid}/discard", data={"confirm": "discard"})
    assert response.status_code == 302
    left = db.execute(
        "select (select count(*) from visits), (select count(*) from answers), "
        "(select count(*) from visit_instruments)"
    ).fetchone()
    assert tuple(left) == (0, 0, 0)
    assert "Draf dibuang." in evaluator.get("/visits/").get_data(as_text=True)


def test_discard_only_own_drafts(client, auth, db, world):
    auth.login("evaluator1")
    uuid = start_visit(client, db, instruments=("skm:1",))
    auth.logout()
    auth.login("evaluator2")
    assert client.post(f"/visits/{uuid}/discard", data={"confirm": "discard"}).status_code == 403
    auth.logout()
    auth.login("evaluator1")
    for status in ("submitted", "returned", "approved"):
        records.set_status(db, uuid, status, None)
        assert client.get(f"/visits/{uuid}/discard").status_code == 403
        assert (
            client.post(f"/visits/{uuid}/discard", data={"confirm": "discard"}).status_code == 403
        )
    assert records.visit(db, uuid)["status"] == "approved"


def test_discarding_a_planned_draft_opens_its_assignment_again(evaluator, db):
    import datetime as dt

    from survey_app.store import assignments

    evaluator_id = db.execute("select id from users where username = 'evaluator1'").fetchone()[0]
    plan = assignments.create(
        db,
        {
            "evaluator": evaluator_id,
            "opd": opd_id(db, "dishub"),
            "service": service_of(db, "dishub"),
            "instruments": ["skm"],
            "window_start": dt.date.today(),
            "window_end": dt.date.today() + dt.timedelta(days=7),
        },
        None,
    )
    response = evaluator.post(
        f"/visits/new?assignment={plan}",
        data={
            "opd": opd_id(db, "dishub"),
            "service": service_of(db, "dishub"),
            "instruments": ["skm:1"],
            "visit_date": _today(),
        },
    )
    uuid = re.search(r"/visits/([0-9a-f-]{36})/s/0", response.headers["Location"]).group(1)
    assert db.execute("select visit_uuid from assignments").fetchone()[0] == uuid
    evaluator.post(f"/visits/{uuid}/discard", data={"confirm": "discard"})
    assert db.execute("select visit_uuid from assignments").fetchone()[0] is None
