"""Attacks on login and sessions: redirects, stale cookies, guessing, proxies, caches, CSRF."""

import threading
import time
import unicodedata
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from survey_app import create_app
from survey_app.store import demo, records
from survey_app.web import auth as auth_views

from .supervisor_data import gen_visit, login, user_id
from .test_security import world_with_visit  # noqa: F401  (a fixture)

HOSTILE_NEXT = [
    "/\t/other-host/path",
    "/\n/other-host/path",
    "/\r\nSet-Cookie: x=1",
    "/%09/other-host/path",
    "/%0d%0aSet-Cookie:%20x=1",
    "//other-host/path",
    "///other-host/path",
    "/%2F/other-host/path",
    "/\\other-host/path",
    "\\\\other-host/path",
    "/%5Cother-host/path",
    " //other-host/path",
    "/ /other-host",
    "/\x00/other-host",
    "/\u2028/other-host",
    "https://other-host/path",
    "http:/other-host",
    "javascript:alert(1)",
    "other-host/path",
    "",
]


def on_site(location: str) -> bool:
    """A Location a browser resolves against this site, never another host."""
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not any(c.isspace() or unicodedata.category(c)[0] == "C" for c in location)
    )


def test_hostile_next_after_login_stays_on_site(client, world):
    raw = client.post(
        "/login?next=/%09/other-host/path",
        data={"username": "evaluator1", "password": demo.PASSWORD},
    )
    assert raw.status_code == 302 and on_site(raw.headers["Location"])
    for target in HOSTILE_NEXT:
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "evaluator1", "password": demo.PASSWORD},
        )
        assert response.status_code == 302, repr(target)
        assert on_site(response.headers["Location"]), (target, response.headers["Location"])


def test_hostile_next_after_language_switch_stays_on_site(client, world):
    for target in HOSTILE_NEXT:
        response = client.post("/language", data={"lang": "en", "next": target})
        assert response.status_code == 302, repr(target)
        assert on_site(response.headers["Location"]), (target, response.headers["Location"])


def test_same_site_next_is_followed(client, world):
    response = client.post("/language", data={"lang": "en", "next": "/visits/?page=2"})
    assert response.headers["Location"] == "/visits/?page=2"


# --- sessions end -----------------------------------------------------------------------


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def replayed(app, cookie: str):
    """A fresh browser that presents a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_old_cookie_is_logged_out_after_logout(app, client, auth, world):
    auth.login()
    stolen = session_cookie(client)
    assert replayed(app, stolen).get("/visits/").status_code == 200
    auth.logout()
    response = replayed(app, stolen).get("/visits/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def evaluator_form(db, **extra) -> dict:
    row = db.table("users").get(user_id(db, "evaluator1"))
    return {
        "username": "evaluator1",
        "name": row["name"],
        "role": "evaluator",
        "opd": str(row["opd_id"]),
        "active": "y",
        "password": "",
        **extra,
    }


def test_old_cookie_is_logged_out_after_a_password_change(app, db, world):
    records.create_user(db, "admin", demo.PASSWORD, "admin")
    evaluator, admin = login(app, "evaluator1"), login(app, "admin")
    stolen = session_cookie(evaluator)
    changed = admin.post(
        f"/admin/users/{user_id(db, 'evaluator1')}",
        data=evaluator_form(db, password="a-new-password"),
    )
    assert changed.status_code == 302
    assert replayed(app, stolen).get("/visits/").status_code == 302
    assert evaluator.get("/visits/").status_code == 302
    fresh = app.test_client()
    fresh.post("/login", data={"username": "evaluator1", "password": "a-new-password"})
    assert fresh.get("/visits/").status_code == 200
    assert admin.get("/admin/users").status_code == 200  # the admin's own session lives on


def test_old_cookie_stays_dead_after_deactivation_and_reactivation(app, db, world):
    records.create_user(db, "admin", demo.PASSWORD, "admin")
    evaluator, admin = login(app, "evaluator1"), login(app, "admin")
    url = f"/admin/users/{user_id(db, 'evaluator1')}"
    admin.post(url, data={k: v for k, v in evaluator_form(db).items() if k != "active"})
    admin.post(url, data=evaluator_form(db))
    assert db.table("users").get(user_id(db, "evaluator1"))["active"] == 1
    assert evaluator.get("/visits/").status_code == 302


def test_a_name_change_keeps_the_session(app, db, world):
    records.create_user(db, "admin", demo.PASSWORD, "admin")
    evaluator, admin = login(app, "evaluator1"), login(app, "admin")
    admin.post(f"/admin/users/{user_id(db, 'evaluator1')}", data=evaluator_form(db, name="Eva"))
    assert evaluator.get("/visits/").status_code == 200


# --- guessing ---------------------------------------------------------------------------


def failures(db, username: str) -> int:
    return db.execute(
        "select count(*) from login_failures where username = ?", [username]
    ).fetchone()[0]


def test_parallel_guesses_get_at_most_the_limit_of_checks(app, db, world):
    """Each checked password leaves a failure row; a race must not buy extra checks."""
    threads, barrier = 30, threading.Barrier(30)
    statuses = []

    def guess(n):
        client = app.test_client()
        barrier.wait()
        response = client.post("/login", data={"username": "evaluator1", "password": f"x{n}"})
        statuses.append(response.status_code)

    workers = [threading.Thread(target=guess, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [400] * threads
    assert 1 <= failures(db, "evaluator1") <= app.config["LOGIN_MAX_FAILURES"]


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.mark.parametrize("victim", ["evaluator1", "admin"])
def test_failures_from_elsewhere_do_not_lock_the_victim_out(app, db, world, victim):
    if victim == "admin":
        records.create_user(db, "admin", demo.PASSWORD, "admin")
    attacker = from_address(app, "203.0.113.9")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] * 2):
        attacker.post("/login", data={"username": victim, "password": "guess"})
    assert "Terlalu banyak" in attacker.post(
        "/login", data={"username": victim, "password": demo.PASSWORD}
    ).get_data(as_text=True)
    victim_client = from_address(app, "198.51.100.7")
    response = victim_client.post("/login", data={"username": victim, "password": demo.PASSWORD})
    assert response.status_code == 302


def test_failures_on_other_accounts_do_not_lock_an_office_address(app, world):
    office = from_address(app, "198.51.100.7")
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        office.post("/login", data={"username": f"colleague-{n}", "password": "typo"})
    response = office.post("/login", data={"username": "evaluator1", "password": demo.PASSWORD})
    assert response.status_code == 302


def test_unknown_and_known_accounts_take_the_same_path(app, client, db, world, monkeypatch):
    """A missing account still costs one password-hash check and leaves one failure row."""
    checks = []
    real = auth_views.check_password_hash

    def counted(pwhash, password):
        checks.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(auth_views, "check_password_hash", counted)
    known = client.post("/login", data={"username": "evaluator1", "password": "wrong"})
    unknown = client.post("/login", data={"username": "nobody-here", "password": "wrong"})
    assert known.status_code == unknown.status_code == 400
    assert len(checks) == 2 and checks[0] == checks[1]  # same hash method, same cost
    assert failures(db, "evaluator1") == failures(db, "nobody-here") == 1


# --- behind a TLS proxy -----------------------------------------------------------------


def proxied_login(app):
    client = app.test_client()
    return client.post(
        "/login",
        data={"username": "evaluator1", "password": demo.PASSWORD},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.44"},
    )


def app_with(app, **config):
    other = create_app({**app.config, **config})
    return other


def test_forwarded_headers_are_ignored_by_default(app, world):
    assert "Secure" not in proxied_login(app).headers["Set-Cookie"]


def test_trusted_proxy_makes_the_cookie_secure(app, db, world):
    behind = app_with(app, TRUST_PROXY=1)
    assert "Secure" in proxied_login(behind).headers["Set-Cookie"]
    client = behind.test_client()
    client.post(
        "/login",
        data={"username": "evaluator1", "password": "x"},
        headers={"X-Forwarded-For": "192.0.2.44"},
    )
    [address] = db.execute("select address from login_failures").fetchone()
    assert address == "192.0.2.44"  # throttled per client, not per proxy


# --- caches -----------------------------------------------------------------------------


def test_photos_are_never_kept_by_shared_caches(app, world_with_visit):  # noqa: F811
    owner = login(app, "evaluator1")
    response = owner.get(f"/visits/photo/{world_with_visit['digest']}")
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "no-store" in cache and "public" not in cache
    response.close()


def test_service_worker_caches_no_photos(client, world):
    body = client.get("/sw.js").get_data(as_text=True)
    assert "/photo" not in body
    assert "APP_FILES.indexOf(path) >= 0" in body  # only the app's own files are cached


# --- CSRF -------------------------------------------------------------------------------


def aged_token(app, client, seconds: int) -> str:
    """A genuine CSRF token for this session, signed `seconds` ago."""

    class Earlier(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - seconds

    with client.session_transaction() as session:
        secret = session["csrf_token"]
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt="wtf-csrf-token", signer=Earlier
    )
    return serializer.dumps(secret)


def test_a_long_written_note_outlives_the_old_token_limit(app, db, world):
    supervisor = login(app, "supervisor")
    visit = gen_visit(db)
    app.config["WTF_CSRF_ENABLED"] = True
    supervisor.get(f"/review/{visit}")
    note = "Foto loket kurang jelas; jam selesai belum diisi."
    response = supervisor.post(
        f"/review/{visit}/return",
        data={"return-note": note, "csrf_token": aged_token(app, supervisor, 2 * 3600)},
    )
    assert response.status_code == 302
    assert records.visit(db, visit)["review_note"] == note


def test_a_bad_token_is_refused_with_a_translated_message(app, db, world):
    supervisor = login(app, "supervisor")
    visit = gen_visit(db)
    app.config["WTF_CSRF_ENABLED"] = True
    supervisor.get(f"/review/{visit}")
    response = supervisor.post(
        f"/review/{visit}/return",
        data={"return-note": "catatan", "csrf_token": aged_token(app, supervisor, 0) + "x"},
    )
    assert response.status_code == 400
    assert "Formulir" in response.get_data(as_text=True)
    assert records.visit(db, visit)["status"] == "submitted"
