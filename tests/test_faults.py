"""Fault tolerance with real processes: backup while serving, two writers at once."""

import json
import subprocess
import threading
import time
from pathlib import Path

from survey_app.store import maintenance, records, summaries
from survey_app.store.connection import connect

from .servers import EXE, Client, ServerProcess
from .test_api import gen_payload


def post_many(base, payloads, results):
    client = Client(base).login("evaluator1")
    for body in payloads:
        results.append(client.post_json("/api/v1/visits", body)[0])


def test_backup_while_serving_restores_every_approved_visit_and_photo(seeded, db, tmp_path):
    server = ServerProcess(seeded).start()
    try:
        opds = ["disdukcapil", "dpmptsp"]
        payloads = [gen_payload(db, slug=opds[n % 2]) for n in range(2)]
        results = []
        writer = threading.Thread(target=post_many, args=(server.url, payloads, results))
        writer.start()
        summary = maintenance.backup(
            seeded.config["DATABASE"], seeded.config["PHOTOS_DIR"], tmp_path / "backup"
        )
        writer.join()
    finally:
        server.stop()
    assert all(code == 201 for code in results), results
    approved = db.execute("select count(*) from visits where status = 'approved'").fetchone()[0]
    photos = db.table("photos").count
    restored_db = tmp_path / "restored" / "survey.db"
    check = maintenance.restore(tmp_path / "backup", restored_db, tmp_path / "restored-photos")
    assert check["integrity"] == "ok"
    assert check["approved_visits"] == approved == 30
    assert summary["photos"] == check["photos"] == photos > 0
    copy = connect(restored_db)
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    for row in copy.execute("select sha256 from photos"):
        assert records.photo_path(tmp_path / "restored-photos", row[0]).exists()
    copy.close()


def test_restore_refuses_a_damaged_backup(seeded, tmp_path):
    maintenance.backup(seeded.config["DATABASE"], seeded.config["PHOTOS_DIR"], tmp_path / "b")
    photo = next((tmp_path / "b" / "photos").rglob("*"))
    while photo.is_dir():
        photo = next(photo.iterdir())
    photo.write_bytes(b"not the photo")
    result = subprocess.run(
        [str(EXE), "restore", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        env={
            "SURVEY_APP_DATABASE": str(tmp_path / "x.db"),
            "SURVEY_APP_SECRET_KEY": "x",
            "PATH": "",
        },
    )
    assert result.returncode == 1 and "rusak atau tidak lengkap" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_web_server_and_cli_import_write_at_once(seeded, db, tmp_path):
    exported = summaries.export_visits(db, status="approved")
    source = tmp_path / "other-instance.json"
    for visit in exported:  # the same visits as if from another instance: new UUIDs
        visit["uuid"] = visit["uuid"][:-12] + "c0ffee" + visit["uuid"][-6:]
    source.write_text(json.dumps(exported))
    server = ServerProcess(seeded).start()
    try:
        payloads = [gen_payload(db, slug=s) for s in ("disdukcapil", "dpmptsp", "dishub")]
        results = []
        writer = threading.Thread(target=post_many, args=(server.url, payloads, results))
        env = dict(server.env)
        writer.start()
        imported = subprocess.run(
            [str(EXE), "import", str(source)], env=env, capture_output=True, text=True, timeout=300
        )
        writer.join()
    finally:
        server.stop()
    assert imported.returncode == 0, imported.stderr
    assert "locked" not in imported.stderr + imported.stdout
    assert results == [201, 201, 201]
    assert db.table("visits").count == 30 + 30 + 3
    again = subprocess.run(
        [str(EXE), "import", str(source)], env=env, capture_output=True, text=True, timeout=300
    )
    assert "0 visits imported" in again.stdout
    assert db.table("visits").count == 63


def _gone(pid: int, within: float = 10) -> bool:
    deadline = time.time() + within
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":  # ended, waiting to be reaped by its (dead) parent's heir
            return True
        time.sleep(0.1)
    return False


def test_several_server_processes_share_the_port_and_stop_together(seeded, db):
    server = ServerProcess(seeded, args=("--workers", "2")).start()
    try:
        workers = server.workers(2)
        assert len(workers) == 2
        results = []
        slugs = ("disdukcapil", "dpmptsp", "dishub")
        post_many(server.url, [gen_payload(db, slug=s) for s in slugs], results)
        assert results == [201] * 3
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert all(_gone(pid) for pid in workers)


def test_workers_die_with_a_killed_server(seeded):
    server = ServerProcess(seeded, args=("--workers", "2")).start()
    try:
        workers = server.workers(2)
        assert len(workers) == 2
    finally:
        server.kill()  # SIGKILL: the parent cannot pass anything on
    assert all(_gone(pid) for pid in workers)
