"""Master data: OPDs and services (supervisor, admin), users (admin), instruments (read-only)."""

import json
import re
import shutil

import pytest

from survey_app.store import records

from .supervisor_data import audit_rows, login, user_id

ROOT_INSTRUMENTS = __import__("pathlib").Path(__file__).resolve().parent.parent / "instruments"


@pytest.fixture
def supervisor(app, world):
    return login(app, "supervisor")


@pytest.fixture
def admin(app, world, db):
    records.create_user(db, "admin", "demo-password", "admin", name="Admin Kota")
    return login(app, "admin")


def opd_form(**extra):
    return {
        "slug": "kec-jambi-timur",
        "name": "Kecamatan Jambi Timur",
        "kind": "kecamatan",
        "address": "Jl. Sultan Agung",
        "min_days_between_visits": "",
        "max_visits_per_quarter": "2",
        **extra,
    }


def test_add_and_edit_an_opd_with_audit(supervisor, db):
    response = supervisor.post("/admin/opds", data=opd_form())
    assert response.status_code == 302
    opd = records.opd_by_slug(db, "kec-jambi-timur")
    assert opd["max_visits_per_quarter"] == 2 and opd["min_days_between_visits"] is None
    [created] = audit_rows(db, "opd", opd["id"])
    assert created["user_id"] == user_id(db, "supervisor")
    assert json.loads(created["detail"])["changes"]["name"] == [None, "Kecamatan Jambi Timur"]
    supervisor.post(
        "/admin/opds/kec-jambi-timur",
        data={f"opd-{k}": v for k, v in opd_form(address="Jl. Baru").items()},
    )
    edited = audit_rows(db, "opd", opd["id"])[-1]
    assert edited["action"] == "update"
    assert json.loads(edited["detail"]) == {
        "changes": {"address": ["Jl. Sultan Agung", "Jl. Baru"]}
    }
    page = supervisor.get("/admin/opds/kec-jambi-timur").get_data(as_text=True)
    # before in <del>, after in <ins>
    assert "Jl. Sultan Agung → Jl. Baru" in re.sub(r"<[^>]+>", "", page)


def test_opd_slug_is_checked(supervisor, db):
    taken = supervisor.post("/admin/opds", data=opd_form(slug="dishub"))
    assert taken.status_code == 400 and "sudah dipakai" in taken.get_data(as_text=True)
    bad = supervisor.post("/admin/opds", data=opd_form(slug="Kec Jambi; drop"))
    assert bad.status_code == 400
    assert db.table("opds").count == 5


def test_services_with_their_published_standard(supervisor, db):
    response = supervisor.post(
        "/admin/opds/dishub/services",
        data={
            "svc-slug": "izin-trayek",
            "svc-name": "Izin trayek angkutan",
            "svc-max_minutes": "120",
            "svc-fee": "50000",
            "svc-requirements": "KTP-el\n\n  STNK  \nSurat permohonan",
            "svc-yearly_volume": "800",
        },
    )
    assert response.status_code == 302
    row = db.execute("select * from services where slug = 'izin-trayek'").fetchone()
    svc = records.service(db, row["id"])
    assert svc["requirements"] == ["KTP-el", "STNK", "Surat permohonan"]
    assert (svc["max_minutes"], svc["fee"], svc["yearly_volume"]) == (120, 50000, 800)
    assert audit_rows(db, "service", row["id"])[0]["action"] == "create"
    supervisor.post(
        f"/admin/services/{row['id']}",
        data={
            "slug": "izin-trayek",
            "name": "Izin trayek angkutan",
            "max_minutes": "90",
            "fee": "50000",
            "requirements": "KTP-el\nSTNK\nSurat permohonan",
            "yearly_volume": "800",
        },
    )
    assert records.service(db, row["id"])["max_minutes"] == 90
    detail = json.loads(audit_rows(db, "service", row["id"])[-1]["detail"])
    assert detail == {"changes": {"max_minutes": [120, 90]}}
    page = supervisor.get("/admin/opds/dishub").get_data(as_text=True)
    assert "Izin trayek angkutan" in page and "Rp 50.000" in page


def test_negative_fee_is_refused(supervisor, db):
    response = supervisor.post(
        "/admin/opds/dishub/services",
        data={"svc-slug": "x", "svc-name": "X", "svc-fee": "-1"},
    )
    assert response.status_code == 400
    assert db.execute("select count(*) from services where slug = 'x'").fetchone()[0] == 0


def test_users_are_for_admins_only(supervisor):
    for url in ("/admin/users", "/admin/users/1"):
        response = supervisor.get(url)
        assert response.status_code == 403
        response.close()
    assert supervisor.post("/admin/users", data={}).status_code == 403
    assert 'href="/admin/users"' not in supervisor.get("/admin/").get_data(as_text=True)


def test_admin_adds_a_user_who_can_log_in(app, admin, db):
    telanaipura = records.opd_by_slug(db, "kec-telanaipura")["id"]
    form = {
        "username": "evaluator4",
        "name": "Evaluator Empat",
        "role": "evaluator",
        "opd": str(telanaipura),
        "password": "rahasia-panjang",
    }
    assert admin.post("/admin/users", data=form).status_code == 302
    row = db.execute("select * from users where username = 'evaluator4'").fetchone()
    assert row["password_hash"] != "rahasia-panjang" and row["opd_id"] == telanaipura
    detail = json.loads(audit_rows(db, "user", row["id"])[0]["detail"])
    assert "password" not in json.dumps(detail) and detail["changes"]["role"] == [None, "evaluator"]
    client = app.test_client()
    response = client.post("/login", data={"username": "evaluator4", "password": "rahasia-panjang"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opd": ""}, "Evaluator wajib diisi OPD tempat ia bekerja."),
        ({"username": "evaluator1"}, "Nama pengguna ini sudah dipakai."),
        ({"password": ""}, "Beri pengguna baru sebuah kata sandi."),
        ({"password": "pendek"}, 'class="field-error"'),
        ({"role": "superuser"}, 'class="field-error"'),
    ],
)
def test_user_rules(admin, db, changes, message):
    form = {
        "username": "baru",
        "name": "Baru",
        "role": "evaluator",
        "opd": str(records.opd_by_slug(db, "dishub")["id"]),
        "password": "rahasia-panjang",
        **changes,
    }
    response = admin.post("/admin/users", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_role_change_is_audited_and_admins_keep_their_own_access(admin, db):
    evaluator = user_id(db, "evaluator2")
    response = admin.post(
        f"/admin/users/{evaluator}",
        data={
            "username": "evaluator2",
            "name": "Evaluator Dua",
            "role": "supervisor",
            "opd": "",
            "active": "y",
            "password": "",
        },
    )
    assert response.status_code == 302
    assert db.table("users").get(evaluator)["role"] == "supervisor"
    detail = json.loads(audit_rows(db, "user", evaluator)[-1]["detail"])
    assert detail["changes"]["role"] == ["evaluator", "supervisor"]
    me = user_id(db, "admin")
    response = admin.post(
        f"/admin/users/{me}",
        data={"username": "admin", "name": "Admin Kota", "role": "supervisor", "opd": ""},
    )
    assert response.status_code == 400 and db.table("users").get(me)["role"] == "admin"


def test_instruments_page_shows_versions_and_validation(supervisor, app, tmp_path):
    page = supervisor.get("/admin/instruments").get_data(as_text=True)
    assert "5 berkas instrumen valid." in page  # with saluran and tinjauan
    for inst in ("kepatuhan-1", "kunjungan-2", "skm-1"):
        assert f'data-instrument="{inst}"' in page
    broken = tmp_path / "instruments"
    shutil.copytree(ROOT_INSTRUMENTS, broken)
    text = (broken / "skm.yaml").read_text().replace("type: scale4", "type: scale5", 1)
    (broken / "skm.yaml").write_text(text)
    app.config["INSTRUMENTS_DIR"] = str(broken)
    page = supervisor.get("/admin/instruments").get_data(as_text=True)
    assert "Ditemukan 1 masalah" in page and "skm.yaml:" in page and "scale5" in page
