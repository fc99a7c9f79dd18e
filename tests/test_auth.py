"""Login, logout, throttling, cookies, language."""

import pytest


def test_login_page_is_indonesian_by_default(client, world):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="id"' in page and "Masuk" in page


def test_login_and_logout(client, auth, world):
    response = auth.login()
    assert response.status_code == 302
    assert client.get("/visits/").status_code == 200
    auth.logout()
    assert client.get("/visits/").status_code == 302


def test_wrong_password_is_refused_in_indonesian(client, auth, world):
    response = auth.login(password="salah")
    assert response.status_code == 400
    assert "Nama pengguna atau kata sandi salah." in response.get_data(as_text=True)


def test_throttled_per_account(app, client, auth, world):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(password="salah")
    response = auth.login()  # right password, but the account is paused
    assert response.status_code == 400
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)
    assert client.get("/visits/").status_code == 302


def test_throttled_per_address(app, client, auth, world):
    """An address guessing across many accounts meets its own, higher ceiling."""
    app.config["LOGIN_ADDRESS_MAX_FAILURES"] = 8
    for n in range(8):
        auth.login(username=f"tidak-ada-{n}", password="x")
    assert "Terlalu banyak percobaan" in auth.login().get_data(as_text=True)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert (
        other.post(
            "/login", data={"username": "evaluator1", "password": "demo-password"}
        ).status_code
        == 302
    )


def test_session_cookie_flags(client, auth, world):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    secure = client.post(
        "/login",
        data={"username": "evaluator1", "password": "demo-password"},
        base_url="https://localhost",
    )
    assert "Secure" in secure.headers["Set-Cookie"]


def test_open_redirect_is_refused(client, world):
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "evaluator1", "password": "demo-password"}
    )
    assert response.headers["Location"] == "/"


def test_language_switch(client, auth, world):
    auth.login()
    client.post("/language", data={"lang": "en", "next": "/visits/"})
    assert "My visits" in client.get("/visits/").get_data(as_text=True)
    client.post("/language", data={"lang": "id", "next": "/visits/"})
    assert "Kunjungan saya" in client.get("/visits/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login", "/language", "/logout"])
def test_csrf_required(app, world, path):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post(
        path, data={"username": "evaluator1", "password": "demo-password", "lang": "en"}
    )
    assert response.status_code == 400


def test_secret_key_required_outside_demo(tmp_path):
    from survey_app import create_app
    from survey_app.core.errors import DomainError

    with pytest.raises(DomainError):
        create_app({"DATABASE": str(tmp_path / "x.db"), "SECRET_KEY": None})


def test_login_mints_a_new_csrf_secret_in_the_session(app, client, world):
    """Requests racing after login (pages, the service worker) must share one secret."""
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    with client.session_transaction() as before:
        anonymous = before["csrf_token"]
    response = client.post(
        "/login",
        data={"username": "evaluator1", "password": "demo-password", "csrf_token": token},
    )
    assert response.status_code == 302
    with client.session_transaction() as after:
        assert after["user_id"] and after["csrf_token"] and after["csrf_token"] != anonymous
