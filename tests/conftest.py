"""Shared fixtures: a real app on a temporary SQLite file, its CLI runner, users."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.cli import cli
from survey_app.store import demo, records
from survey_app.store.connection import connect, migrate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path):
    """An app with its own database, photo store and exports folder."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "DATABASE": str(tmp_path / "survey.db"),
            "PHOTOS_DIR": str(tmp_path / "photos"),
            "EXPORTS_DIR": str(tmp_path / "exports"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
        }
    )
    db = connect(app.config["DATABASE"])
    migrate(db)
    assert records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"]) == []
    db.close()
    return app


@pytest.fixture
def db(app):
    """A connection to the app's database."""
    conn = connect(app.config["DATABASE"])
    yield conn
    conn.close()


@pytest.fixture
def seeded(app, db):
    """The app with the demo visits loaded (the checks' tests add their own checks)."""
    demo.seed(db, app.config["PHOTOS_DIR"], checks=False)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class CliRunner:
    """The `survey-app` group run against the test app."""

    def __init__(self, app):
        self.runner = app.test_cli_runner()

    def invoke(self, args=None, **kwargs):
        return self.runner.invoke(cli, args=args, **kwargs)


@pytest.fixture
def runner(app):
    return CliRunner(app)


@pytest.fixture
def world(app, db):
    """Demo OPDs and users, no visits: evaluator1 works at Kecamatan Telanaipura."""
    demo.seed(db, app.config["PHOTOS_DIR"], visits=0)
    return app


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username="evaluator1", password=demo.PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- the hub: SQLite and a real PostgreSQL cluster ------------------------------------


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL cluster for the session (tests/postgres.py)."""
    from .postgres import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_target(request, tmp_path):
    """Where a hub keeps its data: an SQLite file, or a fresh database on the cluster."""
    if request.param == "sqlite":
        return str(tmp_path / "hub.db")
    return request.getfixturevalue("pg_cluster").database()


@pytest.fixture
def hub_app(hub_target, tmp_path):
    """A hub (SURVEY_APP_ROLE=hub) on that database, its tables made, instruments known."""
    from survey_app.core.instruments import load_directory
    from survey_app.store.hub import governments, schema
    from survey_app.store.hub.backend import open_hub

    hub = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "ROLE": "hub",
            "DATABASE": hub_target,
            "PHOTOS_DIR": str(tmp_path / "hub-photos"),
            "EXPORTS_DIR": str(tmp_path / "hub-exports"),
            "INSTRUMENTS_DIR": str(ROOT / "instruments"),
        }
    )
    db = open_hub(hub_target)
    schema.migrate(db)
    governments.load_instruments(db, load_directory(ROOT / "instruments")[0])
    db.close()
    yield hub
    from survey_app.web.hub_session import close_hubs

    close_hubs()
