"""Restore refuses a database a server is using, and works once the server has stopped."""

import os
import subprocess

from survey_app.store import maintenance

from .servers import EXE, Client, ServerProcess
from .test_api import gen_payload


def restore(app, source) -> subprocess.CompletedProcess:
    """`survey-app restore --force SOURCE` onto the app's database, as an operator runs it."""
    env = {
        **os.environ,
        "SURVEY_APP_DATABASE": app.config["DATABASE"],
        "SURVEY_APP_PHOTOS_DIR": app.config["PHOTOS_DIR"],
        "SURVEY_APP_SECRET_KEY": "x",
    }
    command = [str(EXE), "restore", "--force", str(source)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_restore_refuses_a_served_database_then_works_once_stopped(seeded, db, tmp_path):
    maintenance.backup(seeded.config["DATABASE"], seeded.config["PHOTOS_DIR"], tmp_path / "b")
    before = db.table("visits").count
    server = ServerProcess(seeded).start()
    try:
        client = Client(server.url).login("evaluator1")
        assert client.post_json("/api/v1/visits", gen_payload(db, "disdukcapil"))[0] == 201
        refused = restore(seeded, tmp_path / "b")
        assert refused.returncode == 1 and "hentikan server" in refused.stderr, refused.stderr
        # the server keeps writing to the database it had
        for slug in ("dpmptsp", "dishub"):
            assert client.post_json("/api/v1/visits", gen_payload(db, slug))[0] == 201
    finally:
        server.stop()
    assert db.table("visits").count == before + 3
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    db.close()  # the test's own connection is a user of the database too
    done = restore(seeded, tmp_path / "b")
    assert done.returncode == 0, done.stderr
    copy = maintenance.Database(seeded.config["DATABASE"])
    assert copy.table("visits").count == before
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    copy.close()
