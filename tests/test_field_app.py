"""The installable app's pieces: manifest, service worker, shell, fragments."""

import json
from pathlib import Path

from survey_app.store import records


def test_manifest_is_installable(client, world):
    data = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    assert data["display"] == "standalone" and data["start_url"] == "/field/"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.mimetype == "image/png"
        response.close()


def test_service_worker_version_follows_instruments(app, client, db, world, tmp_path):
    first = client.get("/sw.js")
    assert first.headers["Service-Worker-Allowed"] == "/"
    body = first.get_data(as_text=True)
    assert '"/field/"' in body and "offline-app.js" in body
    source = Path(app.config["INSTRUMENTS_DIR"]) / "skm.yaml"
    changed = source.read_text(encoding="utf-8").replace("version: 1", "version: 2", 1)
    path = tmp_path / "skm.yaml"
    path.write_text(changed, encoding="utf-8")
    from survey_app.core.instruments import load_file

    assert records.sync_instruments(db, [load_file(path)]) == []
    assert client.get("/sw.js").get_data(as_text=True) != body


def test_shell_needs_an_evaluator(client, auth, world):
    assert client.get("/field/").status_code == 302
    auth.login("evaluator1")
    page = client.get("/field/").get_data(as_text=True)
    assert "menunggu dikirim" in page and 'rel="manifest"' in page
    # the cached shell is the same for everyone: no user name in it
    assert "Evaluator Satu" not in page


def test_fragment_renders_every_section_empty(client, auth, world):
    auth.login("evaluator1")
    html = client.get("/field/fragment/kunjungan/2").get_data(as_text=True)
    assert html.count('class="screen"') == 5
    assert 'data-relevant="ada_antrian = &#39;yes&#39;"' in html
    assert 'data-role="arrival"' in html and 'name="csrf_token"' not in html
    assert client.get("/field/fragment/kunjungan/9").status_code == 404


def test_shell_and_fragments_in_either_language_for_offline_switching(client, auth, world):
    auth.login("evaluator1")
    english = client.get("/field/en/").get_data(as_text=True)
    assert '<html lang="en">' in english and "waiting to be sent" in english
    assert 'data-lang="id"' in english  # the switch leads back to Indonesian
    indonesian = client.get("/field/id/").get_data(as_text=True)
    assert '<html lang="id">' in indonesian and 'data-lang="en"' in indonesian
    assert client.get("/field/fr/").status_code == 404
    fragment = client.get("/field/fragment/skm/1?lang=en").get_data(as_text=True)
    assert "Community Satisfaction Survey" in fragment and "Not appropriate" in fragment
    assert client.get("/field/fragment/skm/1?lang=id").get_data(as_text=True) != fragment
    sw = client.get("/sw.js").get_data(as_text=True)
    assert '"/field/id/"' in sw and '"/field/en/"' in sw
    # the page asked for in one language leaves the session's language as it was
    assert '<html lang="id">' in client.get("/field/").get_data(as_text=True)
