"""Generate a city (or a province) of approved visits, reproducible from a seed.

    python benchmarks/generate.py --scale city --out /tmp/city [--photos 5000]
    python benchmarks/generate.py --scale province --out /tmp/province --photos 0

city: 60 OPDs, 20,000 approved visits over 2026 (~1.2 million answers),
5,000 photos at the tablet's size (1600 x 1200 JPEG); province: ten times the
visits and OPDs. Rows are written in bulk with executemany; every visit's
scores are computed by survey_app.scoring, exactly as approval stores them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey_app import create_app
from survey_app.core import scoring  # noqa: E402
from survey_app.core.instruments import load_directory  # noqa: E402
from survey_app.store import demo, records
from survey_app.store.connection import connect, migrate, transaction  # noqa: E402

SCALES = {"city": (60, 20_000), "province": (600, 200_000)}


def make_app(out: Path):
    """An app whose database and photos live under `out`."""
    return create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE": str(out / "survey.db"),
            "PHOTOS_DIR": str(out / "photos"),
            "TESTING": True,
        }
    )


def master_data(db, rng: random.Random, opds: int) -> tuple[list[dict], list[int]]:
    """OPDs with two services each, one supervisor, 40 evaluators per 60 OPDs."""
    with transaction(db):
        for n in range(opds):
            opd_id = (
                db.table("opds")
                .insert(
                    {
                        "slug": f"opd-{n:04d}",
                        "name": f"OPD {n:04d}",
                        "kind": "dinas",
                        "created_at": records.now(),
                    }
                )
                .last_pk
            )
            for k in range(2):
                db.table("services").insert(
                    {
                        "opd_id": opd_id,
                        "slug": f"layanan-{k}",
                        "name": f"Layanan {k}",
                        "max_minutes": rng.choice([30, 45, 60, 90]),
                        "fee": rng.choice([0, 0, 0, 10000, 50000]),
                        "requirements": "[]",
                        "yearly_volume": rng.randrange(500, 30000),
                    }
                )
    records.create_user(db, "supervisor", demo.PASSWORD, "supervisor")
    evaluators = [
        records.create_user(
            db, f"evaluator{n}", demo.PASSWORD, "evaluator", opd_id=rng.randrange(1, opds + 1)
        )
        for n in range(1, max(4, opds * 2 // 3) + 1)
    ]
    services = [dict(r) for r in db.execute("select * from services")]
    return services, evaluators


def visits(db, rng, insts, services, evaluators, count: int, batch: int = 2000) -> int:
    """Bulk insert `count` approved visits with answers and stored scores."""
    start_day, answers_total = dt.date(2026, 1, 1), 0
    for first in range(0, count, batch):
        v_rows, a_rows, i_rows = [], [], []
        for _ in range(min(batch, count - first)):
            svc = rng.choice(services)
            quality = 0.4 + 0.55 * ((svc["opd_id"] * 7919) % 100) / 100
            answers = {i.id: demo.fake_answers(i, rng, quality, svc) for i in insts}
            scores = scoring.visit_scores(insts, answers, svc["max_minutes"], svc["fee"])
            day = start_day + dt.timedelta(days=rng.randrange(365))
            key = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            stamp = f"{day.isoformat()}T10:00:00+00:00"
            v_rows.append(
                (
                    key,
                    svc["opd_id"],
                    svc["id"],
                    rng.choice(evaluators),
                    "approved",
                    day.isoformat(),
                    stamp,
                    stamp,
                    stamp,
                    stamp,
                    *records.split_scores(scores),
                )
            )
            for pos, inst in enumerate(insts):
                i_rows.append((key, inst.id, inst.version, pos))
                for item_id, value in inst.relevant_answers(answers[inst.id]).items():
                    a_rows.append((key, inst.id, item_id, json.dumps(value)))
        with transaction(db):
            db.conn.executemany(
                "insert into visits (uuid, opd_id, service_id, evaluator_id, status, visit_date,"
                " created_at, updated_at, submitted_at, reviewed_at, scores, item_results, brief)"
                " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                v_rows,
            )
            db.conn.executemany("insert into visit_instruments values (?, ?, ?, ?)", i_rows)
            db.conn.executemany(
                "insert into answers (visit_uuid, instrument_id, item_id, value)"
                " values (?, ?, ?, ?)",
                a_rows,
            )
        answers_total += len(a_rows)
    return answers_total


def photos(db, rng, photo_dir: Path, count: int) -> int:
    """`count` distinct 1600 x 1200 JPEGs linked to random visits; total bytes."""
    from PIL import Image, ImageDraw

    uuids = [r[0] for r in db.execute("select uuid from visits")]
    total = 0
    for n in range(count):
        image = Image.new("RGB", (1600, 1200), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(40):  # texture, so the JPEG has a realistic size
            x, y = rng.randrange(1600), rng.randrange(1200)
            draw.ellipse(
                (x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 300)),
                fill=tuple(rng.randrange(256) for _ in range(3)),
            )
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=85)
        digest = records.store_photo(db, photo_dir, buf.getvalue(), "image/jpeg", 1600, 1200)
        records.attach_photo(db, rng.choice(uuids), digest, caption=f"Bukti {n}")
        total += len(buf.getvalue())
    return total


def generate(scale: str, out: Path, seed: int = 2026, photo_count: int | None = None) -> dict:
    """Build the data set under `out`; return what was made and how long it took."""
    opds, count = SCALES[scale]
    out.mkdir(parents=True, exist_ok=True)
    app = make_app(out)
    db = connect(app.config["DATABASE"])
    migrate(db)
    loaded, errors = load_directory(app.config["INSTRUMENTS_DIR"])
    assert not errors, errors
    records.sync_instruments(db, loaded)
    insts = records.current_instruments(db)
    rng = random.Random(seed)
    started = time.perf_counter()
    services, evaluators = master_data(db, rng, opds)
    answers = visits(db, rng, insts, services, evaluators, count)
    photo_count = (5000 if scale == "city" else 0) if photo_count is None else photo_count
    photo_bytes = photos(db, rng, Path(app.config["PHOTOS_DIR"]), photo_count)
    db.execute("analyze")
    db.close()
    return {
        "scale": scale,
        "opds": opds,
        "visits": count,
        "answers": answers,
        "photos": photo_count,
        "photo_mb": round(photo_bytes / 2**20, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "database": str(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="city")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--photos", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(generate(args.scale, args.out, args.seed, args.photos), indent=2))


if __name__ == "__main__":
    main()
