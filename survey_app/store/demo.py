"""Demo data: real Kota Jambi OPDs, one supervisor, three evaluators, an OPD officer, ~30 visits."""

from __future__ import annotations

import io
import json
import random
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlite_utils import Database

from survey_app.core import checks
from survey_app.core.instruments import Instrument
from survey_app.store import checks as store_checks
from survey_app.store import records
from survey_app.store.connection import transaction

PASSWORD = "demo-password"
USERNAMES = ("supervisor", "evaluator1", "evaluator2", "evaluator3", "opd1")

# slug, name, kind, quality (chance a checklist item passes), services:
# (slug, name, max minutes, published fee, requirements, yearly volume)
OPDS = (
    (
        "disdukcapil",
        "Dinas Kependudukan dan Pencatatan Sipil Kota Jambi",
        "dinas",
        0.9,
        (
            (
                "ktp-el",
                "Perekaman dan pencetakan KTP-el",
                60,
                0,
                ["Fotokopi Kartu Keluarga", "Surat pengantar RT/RW"],
                24000,
            ),
            (
                "kk",
                "Penerbitan Kartu Keluarga",
                60,
                0,
                ["Formulir F-1.01", "KK lama", "Surat nikah/akta cerai bila ada perubahan"],
                18000,
            ),
        ),
    ),
    (
        "dpmptsp",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu Kota Jambi",
        "dinas",
        0.85,
        (
            (
                "nib",
                "Pendampingan NIB melalui OSS",
                45,
                0,
                ["KTP-el", "NPWP", "Alamat usaha"],
                6000,
            ),
            (
                "pbg",
                "Konsultasi Persetujuan Bangunan Gedung (PBG)",
                60,
                0,
                ["KTP-el", "Bukti kepemilikan tanah", "Gambar rencana bangunan"],
                1500,
            ),
        ),
    ),
    (
        "puskesmas-putri-ayu",
        "UPTD Puskesmas Putri Ayu",
        "puskesmas",
        0.7,
        (
            ("poli-umum", "Pemeriksaan di poli umum", 90, 0, ["Kartu BPJS atau KTP-el"], 9000),
            ("surat-sehat", "Surat keterangan sehat", 45, 10000, ["KTP-el"], 2500),
        ),
    ),
    (
        "kec-telanaipura",
        "Kecamatan Telanaipura",
        "kecamatan",
        0.6,
        (
            (
                "legalisasi",
                "Legalisasi dokumen kependudukan",
                30,
                0,
                ["Dokumen asli", "Fotokopi"],
                3000,
            ),
            (
                "sktm",
                "Surat Keterangan Tidak Mampu",
                30,
                0,
                ["Surat pengantar kelurahan", "KTP-el"],
                1200,
            ),
        ),
    ),
    (
        "dishub",
        "Dinas Perhubungan Kota Jambi",
        "dinas",
        0.5,
        (
            (
                "uji-kir",
                "Pengujian berkala kendaraan bermotor (uji KIR)",
                90,
                75000,
                ["STNK", "Buku uji lama", "KTP-el pemilik"],
                8000,
            ),
        ),
    ),
)
# username, name, home OPD slug (never assessed by them)
EVALUATORS = (
    ("evaluator1", "Evaluator Satu", "kec-telanaipura"),
    ("evaluator2", "Evaluator Dua", "puskesmas-putri-ayu"),
    ("evaluator3", "Evaluator Tiga", "dishub"),
)
# username, name, OPD slug: an OPD's own officer (role `opd`), who sees that OPD only
OPD_USERS = (("opd1", "Petugas Mutu Disdukcapil", "disdukcapil"),)
PERIOD = (date(2026, 4, 1), date(2026, 9, 30))
VISITS = 30


def seed(
    db: Database, photo_dir: str, seed: int = 2026, visits: int = VISITS, checks: bool = True
) -> int:
    """Create the demo OPDs, users and approved visits (and checks); return how many visits."""
    rng = random.Random(seed)
    quality = _create_opds(db)
    supervisor = records.create_user(
        db, "supervisor", PASSWORD, "supervisor", name="Supervisor Inspektorat"
    )
    evaluators = [
        (
            records.create_user(
                db, u, PASSWORD, "evaluator", name=n, opd_id=records.opd_by_slug(db, home)["id"]
            ),
            records.opd_by_slug(db, home)["id"],
        )
        for u, n, home in EVALUATORS
    ]
    for username, name, slug in OPD_USERS:
        records.create_user(
            db, username, PASSWORD, "opd", name=name, opd_id=records.opd_by_slug(db, slug)["id"]
        )
    insts = records.current_instruments(db)
    services = [dict(r) for r in db.execute("select * from services").fetchall()]
    span = (PERIOD[1] - PERIOD[0]).days
    for n in range(visits):
        svc = services[n % len(services)]
        evaluator_id = next(
            e for e, home in rng.sample(evaluators, len(evaluators)) if home != svc["opd_id"]
        )
        day = PERIOD[0] + timedelta(days=rng.randrange(span + 1))
        _one_visit(
            db, rng, insts, svc, (evaluator_id, supervisor), day, quality[svc["opd_id"]], photo_dir
        )
    if visits and checks:  # the checks beside them; none for the bare world the tests build on
        _seed_checks(db, rng, quality)
    return visits


def _create_opds(db: Database) -> dict[int, float]:
    quality = {}
    with transaction(db):
        for slug, name, kind, q, services in OPDS:
            opd_id = (
                db.table("opds")
                .insert(
                    {
                        "slug": slug,
                        "name": name,
                        "kind": kind,
                        "address": "Kota Jambi",
                        "created_at": records.now(),
                    }
                )
                .last_pk
            )
            quality[opd_id] = q
            db.table("services").insert_all(
                {
                    "opd_id": opd_id,
                    "slug": s,
                    "name": sn,
                    "max_minutes": mx,
                    "fee": fee,
                    "requirements": json.dumps(req, ensure_ascii=False),
                    "yearly_volume": vol,
                }
                for s, sn, mx, fee, req, vol in services
            )
    return quality


def _one_visit(db, rng, insts, svc, people, day, quality, photo_dir) -> None:
    evaluator_id, supervisor_id = people
    visit_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    answers = {i.id: fake_answers(i, rng, quality, svc) for i in insts}
    records.save_visit(
        db,
        {
            "uuid": visit_uuid,
            "opd_id": svc["opd_id"],
            "service_id": svc["id"],
            "evaluator_id": evaluator_id,
            "visit_date": day.isoformat(),
            "instruments": [{"id": i.id, "version": i.version} for i in insts],
            "answers": answers,
            "status": "draft",
        },
        evaluator_id,
    )
    if rng.random() < 0.4:
        digest = records.store_photo(
            db,
            photo_dir,
            demo_photo(rng, svc["name"]),
            "image/jpeg",
            640,
            480,
            holder_id=evaluator_id,
        )
        records.attach_photo(db, visit_uuid, digest, caption="Ruang pelayanan")
    records.set_status(db, visit_uuid, "submitted", evaluator_id)
    records.set_status(db, visit_uuid, "approved", supervisor_id)
    # Demo history: the server received these visits on their day, not today.
    stamp = f"{day.isoformat()}T10:00:00+00:00"
    db.execute(
        "update visits set created_at = ?, submitted_at = ?, reviewed_at = ? where uuid = ?",
        [stamp, stamp, stamp, visit_uuid],
    )


def fake_answers(
    inst: Instrument, rng: random.Random, quality: float, svc: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Plausible answers for every item, better where `quality` is higher."""
    answers: dict[str, Any] = {}
    clock = 8 * 60 + rng.randrange(0, 180)
    for item in inst.items:
        if not item.is_relevant(answers):
            continue
        value = _fake_value(item, rng, quality, svc, clock)
        if item.role in ("arrival", "ticket", "service_start", "service_end"):
            clock += {
                "arrival": 2,
                "ticket": rng.randrange(5, 40),
                "service_start": rng.randrange(5, 50),
                "service_end": 0,
            }[item.role]
            value = f"{clock // 60:02d}:{clock % 60:02d}"
        if value is not None:
            answers[item.id] = value
    return answers


def _fake_value(item, rng, quality, svc, clock):
    kind = item.type
    if kind == "yesno":
        if item.na and rng.random() < 0.05:
            return "na"
        good = rng.random() < quality
        return "yes" if good != (item.fails_on == "yes") else "no"
    if kind == "scale4":
        return min(4, max(1, round(rng.gauss(1 + 3 * quality, 0.7))))
    if kind == "choice":
        good = item.passes[0] if item.passes else item.options[0].value
        return good if rng.random() < quality else rng.choice(item.options).value
    if kind == "multi":
        return [o.value for o in item.options if rng.random() < quality]
    if item.role == "fee_asked":
        published = (svc or {}).get("fee") or 0
        return published + (25000 if rng.random() > quality + 0.3 else 0)
    if kind in ("integer", "duration"):
        return int(item.min or 0)
    if kind == "decimal":
        return float(item.min or 0)
    if kind == "text":
        return "Petugas melayani sesuai antrian." if item.required else None
    return None


def demo_photo(rng: random.Random, caption: str) -> bytes:
    """A small JPEG standing in for a counter photo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), tuple(rng.randrange(120, 220) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 300, 600, 440), fill=(250, 250, 250))
    draw.text((60, 340), caption[:60], fill=(20, 20, 20))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


# Checks in the demo: two channel probes of every OPD by evaluators from elsewhere,
# the supervisor's desk review of two OPDs, and the Disdukcapil officer's own
# assessment (self-assessed: shown beside the independent figures, never in them).
PROBE_CHANNELS = ("telepon", "whatsapp", "email", "web", "sosmed", "pengaduan", "lapor")
DESK_REVIEWED = ("disdukcapil", "dpmptsp")
SELF_ASSESSED = "disdukcapil"


def _seed_checks(db: Database, rng: random.Random, quality: dict[int, float]) -> int:
    """Store the demo checks; return how many."""
    insts = {i.id: i for i in records.current_instruments(db, kind=None)}
    people = {r["username"]: dict(r) for r in db.execute("select * from users")}
    evaluators = [u for u in people.values() if u["role"] == "evaluator"]
    stored = 0
    for opd_id, q in quality.items():
        for channel in rng.sample(PROBE_CHANNELS, 2):
            who = rng.choice([e for e in evaluators if e["opd_id"] != opd_id])
            _store_check(db, _probe(rng, insts["saluran"], opd_id, channel, q), who)
            stored += 1
    for slug in DESK_REVIEWED:
        opd_id = records.opd_by_slug(db, slug)["id"]
        desk = _desk(rng, insts["tinjauan"], opd_id, quality[opd_id])
        _store_check(db, desk, people["supervisor"])
        stored += 1
    officer = next(u for u in people.values() if u["role"] == "opd")
    own = records.opd_by_slug(db, SELF_ASSESSED)["id"]
    hopeful = min(1.0, quality[own] + 0.08)  # an OPD tends to see itself kindly
    for check in (
        _desk(rng, insts["tinjauan"], own, hopeful),
        _checklist(rng, insts["kepatuhan"], own, hopeful),
        _probe(rng, insts["saluran"], own, "whatsapp", hopeful),
    ):
        _store_check(db, check, officer)
        stored += 1
    return stored


def _probe(rng, inst: Instrument, opd_id: int, channel: str, q: float) -> dict[str, Any]:
    answers = fake_answers(checks.instrument_for(inst, channel), rng, q)
    day = _weekday(rng)
    sent = datetime.combine(day, time(8 + rng.randrange(6), rng.randrange(60)))
    answered = None
    if answers.get(f"{channel}_dijawab", answers.get(f"{channel}_dapat_diakses")) == "yes":
        late = timedelta(minutes=0 if channel == "web" else rng.choice((12, 45, 190, 1500)))
        answered = (sent + late).strftime("%Y-%m-%dT%H:%M")
    return {
        "kind": "probe",
        "opd_id": opd_id,
        "channel": channel,
        "instrument": inst,
        "answers": answers,
        "sent_at": sent.strftime("%Y-%m-%dT%H:%M"),
        "answered_at": answered,
        "check_date": day.isoformat(),
    }


def _desk(rng, inst: Instrument, opd_id: int, q: float) -> dict[str, Any]:
    answers = fake_answers(inst, rng, q)
    for item in inst.items:
        if item.type == "text":
            answers[item.id] = "Dokumen diperiksa: " + item.label.get("id")[:120]
    day = _weekday(rng)
    return {
        "kind": "desk",
        "opd_id": opd_id,
        "instrument": inst,
        "answers": answers,
        "check_date": day.isoformat(),
    }


def _checklist(rng, inst: Instrument, opd_id: int, q: float) -> dict[str, Any]:
    day = _weekday(rng)
    return {
        "kind": "checklist",
        "opd_id": opd_id,
        "instrument": inst,
        "answers": fake_answers(inst, rng, q),
        "check_date": day.isoformat(),
    }


def _weekday(rng: random.Random) -> date:
    day = PERIOD[0] + timedelta(days=rng.randrange((PERIOD[1] - PERIOD[0]).days + 1))
    return day - timedelta(days=max(0, day.weekday() - 4))  # a Saturday or Sunday: that Friday


def _store_check(db: Database, spec: dict[str, Any], user: dict[str, Any]) -> None:
    inst = spec.pop("instrument")
    name = random.Random(json.dumps(spec, sort_keys=True)).getrandbits(128)
    ref = {"id": inst.id, "version": inst.version}
    payload = {**spec, "uuid": str(uuid.UUID(int=name)), "instrument": ref}
    check = checks.read_check(payload, date.today(), user["id"])
    scores = checks.check_scores({"channel": check.channel, "answers": check.answers}, inst)
    store_checks.insert(db, check, scores, user)
