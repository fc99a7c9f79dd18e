"""Test data for the supervisor's workspace: visits in any status, logged-in clients."""

from __future__ import annotations

import random
import uuid as uuid_mod

from survey_app.store import demo, records

# the desk review's eight management components (UU 25/2009 Pasal 21), instruments/tinjauan.yaml
DESK_COMPONENTS = (
    "dasar_hukum",
    "sarana",
    "kompetensi",
    "pengawasan",
    "pengaduan",
    "jumlah_pelaksana",
    "jaminan_pelayanan",
    "evaluasi_kinerja",
)

# status -> the transitions that lead there from a draft
PATHS = {
    "draft": (),
    "submitted": ("submitted",),
    "approved": ("submitted", "approved"),
    "returned": ("submitted", "returned"),
    "rejected": ("submitted", "rejected"),
}


def user_id(db, username: str) -> int:
    return db.execute("select id from users where username = ?", [username]).fetchone()[0]


def first_service(db, slug: str) -> dict:
    row = db.execute(
        "select s.* from services s join opds o on o.id = s.opd_id where o.slug = ? "
        "order by s.id limit 1",
        [slug],
    ).fetchone()
    return dict(row)


def gen_visit(
    db,
    status: str = "submitted",
    opd: str = "disdukcapil",
    evaluator: str | int = "evaluator1",
    instruments: tuple[str, ...] = ("kunjungan", "kepatuhan", "skm"),
    visit_date: str = "2026-08-10",
    quality: float = 0.8,
    seed: int = 1,
    answers: dict | None = None,
    notes: dict | None = None,
) -> str:
    """A visit moved to `status` the way the app moves it; its uuid."""
    rng = random.Random(seed)
    svc = first_service(db, opd)
    insts = [i for i in records.current_instruments(db) if i.id in instruments]
    given = answers or {i.id: demo.fake_answers(i, rng, quality, svc) for i in insts}
    visit_uuid = str(uuid_mod.uuid4())
    author = evaluator if isinstance(evaluator, int) else user_id(db, evaluator)
    records.save_visit(
        db,
        {
            "uuid": visit_uuid,
            "opd_id": svc["opd_id"],
            "service_id": svc["id"],
            "evaluator_id": author,
            "visit_date": visit_date,
            "instruments": [{"id": i.id, "version": i.version} for i in insts],
            "answers": given,
            "notes": notes or {},
            "status": "draft",
        },
        author,
    )
    reviewer = user_id(db, "supervisor")
    for step in PATHS[status]:
        actor = author if step == "submitted" else reviewer
        records.set_status(db, visit_uuid, step, actor, None if step == "submitted" else "x")
    return visit_uuid


def login(app, username: str):
    """A test client logged in as `username`."""
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": demo.PASSWORD})
    assert response.status_code == 302, username
    response.close()
    return client


def audit_rows(db, entity: str, entity_id) -> list[dict]:
    return [
        dict(r)
        for r in db.execute(
            "select * from audit_log where entity = ? and entity_id = ? order by id",
            [entity, str(entity_id)],
        )
    ]
