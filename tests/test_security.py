"""Security, generated from the app's own URL map: every route, every role."""

import hashlib
import io
import re

import pytest
from PIL import Image

from survey_app.store import records

from .test_api import gen_payload

ANON, OWNER, OTHER, SUPERVISOR, ADMIN, OPD = (
    "anonymous",
    "evaluator1",
    "evaluator2",
    "supervisor",
    "admin",
    "opd1",  # role `opd`: Disdukcapil's own officer
)
ROLES = (ANON, OWNER, OTHER, SUPERVISOR, ADMIN, OPD)
PUBLIC = {
    "static",
    "auth.login",
    "auth.logout",
    "auth.language",
    "field_app.service_worker",
    "field_app.manifest",
    "index",
}
# endpoint prefix -> roles allowed
ALLOWED = {
    "auth.csrf_token": {OWNER, OTHER, SUPERVISOR, ADMIN, OPD},  # any logged-in user
    "field.review": {OWNER, SUPERVISOR, ADMIN},
    "field.photo": {OWNER, SUPERVISOR, ADMIN},
    "field.": {OWNER, OTHER},  # any evaluator; OWN_ONLY narrows the visit routes
    "field_app.": {OWNER, OTHER},
    "api.post_check": {OWNER, OTHER, OPD},  # an OPD user's checks are self-assessments
    "api.list_checks": {OWNER, OTHER, OPD},
    "api.": {OWNER, OTHER},
    "admin.users": {ADMIN},
    "holidays.": {ADMIN},
    "probes.": {SUPERVISOR, ADMIN},
    "admin.user": {ADMIN},
    "review.": {SUPERVISOR, ADMIN},
    "dashboard.": {SUPERVISOR, ADMIN},
    "assignments.": {SUPERVISOR, ADMIN},
    "reports.": {SUPERVISOR, ADMIN},
    "followups.": {SUPERVISOR, ADMIN},
    "admin.": {SUPERVISOR, ADMIN},
    "desk.": {SUPERVISOR, ADMIN},  # the independent desk review
    "opd.": {OPD},  # the OPD's own pages; the OPD comes from the account, not the URL
}
# (endpoint, method) -> roles, where a method is narrower than the endpoint
BY_METHOD = {
    ("field.review", "POST"): {OWNER},  # supervisors read the summary; only the owner submits
}
OWN_ONLY = {
    "field.section",
    "field.change_where",
    "field.review",
    "field.upload_photo",
    "field.delete_photo",
    "field.photo",
    "field.discard",
    "api.get_visit",
}


def allowed_roles(endpoint: str) -> set[str]:
    for prefix, roles in ALLOWED.items():
        if (
            endpoint == prefix
            or (prefix.endswith(".") and endpoint.startswith(prefix))
            or endpoint.startswith(prefix)
        ):
            return roles
    raise AssertionError(f"no access rule for {endpoint}: add it to ALLOWED")


@pytest.fixture
def world_with_visit(app, db, world):
    records.create_user(db, "admin", "demo-password", "admin")
    client = app.test_client()
    client.post("/login", data={"username": OWNER, "password": "demo-password"})
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(data, "JPEG")
    digest = hashlib.sha256(data.getvalue()).hexdigest()
    client.put(f"/api/v1/photos/{digest}", data=data.getvalue(), content_type="image/jpeg")
    body = gen_payload(db, photos=[{"sha256": digest, "instrument_id": "", "item_id": ""}])
    assert client.post("/api/v1/visits", json=body).status_code == 201
    draft_uuid = start_visit(client, db, "skm:1")
    return {"visit_uuid": draft_uuid, "submitted": body["uuid"], "digest": digest, "sha256": digest}


def fill(rule, values) -> str | None:
    """A concrete URL for a rule, or None if it has an argument we cannot fill."""
    defaults = {
        "n": 0,
        "inst_id": "skm",
        "version": 1,
        "slug": "disdukcapil",
        "filename": "css/app.css",
        "id": 1,
        "opd_id": 1,
        "service_id": 1,
        "user_id": 1,
        "assignment_id": 1,
        "action_id": 1,
        "digest": "0" * 64,
        "plan_id": 1,
        "day": "2026-12-25",
        "check_uuid": "0f8b1c9e-2a34-4c55-8d66-7e8f9a0b1c2d",
        "kind": "csv",
        "fmt": "csv",
        "format": "csv",
        "action": "approve",
        "lang": "en",
    }
    args = {}
    for name in rule.arguments:
        if name in values:
            args[name] = values[name]
        elif name in defaults:
            args[name] = defaults[name]
        else:
            return None
    path = rule.rule
    for name, value in args.items():
        path = re.sub(r"<(?:[a-z]+:)?" + name + r">", str(value), path)
    return path


def routes(app, values):
    out, unfilled = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        path = fill(rule, values)
        if path is None:
            unfilled.append(rule.rule)
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, path))
    return out, unfilled


def test_every_route_against_every_role(app, world_with_visit):
    table, unfilled = routes(app, world_with_visit)
    assert unfilled == [], f"teach fill() these URL arguments: {unfilled}"
    assert len(table) > 20
    problems = []
    for role in ROLES:
        client = app.test_client()
        if role != ANON:
            client.post("/login", data={"username": role, "password": "demo-password"})
        for endpoint, method, path in table:
            response = client.open(path, method=method, data={})
            status = response.status_code
            response.close()
            allowed = BY_METHOD.get((endpoint, method)) or allowed_roles(endpoint)
            if endpoint in OWN_ONLY and role == OTHER:
                allowed = allowed - {OTHER}
            if endpoint == "opd.photo":  # the world's photo is an evaluator's, not the OPD's
                allowed = allowed - {OPD}
            if role == ANON:
                ok = status in (401, 302) and (
                    status == 401 or "/login" in response.headers.get("Location", "")
                )
            elif role in allowed:
                ok = status not in (401, 403, 500)
            else:
                ok = status == 403
            if not ok:
                problems.append(f"{role} {method} {path} ({endpoint}) -> {status}")
    assert problems == [], "\n".join(problems)


def test_csrf_refused_on_every_state_changing_route(app, world_with_visit):
    app.config["WTF_CSRF_ENABLED"] = True
    table, _ = routes(app, world_with_visit)
    client = app.test_client()
    with app.test_request_context():
        pass
    problems = []
    for endpoint, method, path in table:
        if method in ("GET",):
            continue
        response = client.open(path, method=method, data={"x": "1"})
        if response.status_code != 400:
            problems.append(f"{method} {path} ({endpoint}) -> {response.status_code}")
        response.close()
    for path in ("/login", "/logout", "/language"):
        response = client.post(path, data={"username": OWNER, "password": "demo-password"})
        if response.status_code != 400:
            problems.append(f"POST {path} -> {response.status_code}")
    assert problems == []


def jpeg_bytes(size=(64, 48)):
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, "JPEG")
    return buf.getvalue()


def start_visit(client, db, instrument: str = "kunjungan:2") -> str:
    """The logged-in evaluator starts a draft at Dishub in the web app; its uuid."""
    response = client.post(
        "/visits/new",
        data={
            "opd": records.opd_by_slug(db, "dishub")["id"],
            "service": db.execute(
                "select s.id from services s join opds o on o.id = s.opd_id where o.slug = 'dishub'"
            ).fetchone()[0],
            "instruments": [instrument],
            "visit_date": __import__("datetime").date.today().isoformat(),
        },
    )
    return re.search(r"/visits/([0-9a-f-]{36})/", response.headers["Location"]).group(1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (jpeg_bytes() + b"<script>alert(1)</script>", "selain gambar"),
        (jpeg_bytes()[:200] + b"<html><body>x</body></html>" + jpeg_bytes()[200:], "selain gambar"),
        (b"%PDF-1.4 fake", "Hanya foto JPEG, PNG, atau WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Hanya foto JPEG, PNG, atau WebP"),
    ],
)
def test_polyglot_and_wrong_type_uploads_refused(
    app, client, auth, world, db, tmp_path, data, message
):
    auth.login(OWNER)
    uuid = start_visit(client, db)
    upload = client.post(
        f"/visits/{uuid}/photos",
        data={"photo": (io.BytesIO(data), "../../../../etc/cron.d/evil.jpg"), "item": ""},
    )
    assert upload.status_code == 400 and message in upload.get_json()["error"]
    sha = hashlib.sha256(data).hexdigest()
    api = client.put(f"/api/v1/photos/{sha}", data=data, content_type="image/jpeg")
    assert api.status_code == 400 and message in api.get_json()["message"]
    assert db.table("photos").count == 0


def test_upload_filename_is_never_used(app, client, auth, world, db, tmp_path):
    auth.login(OWNER)
    uuid = start_visit(client, db)
    before = {p for p in tmp_path.rglob("*")}
    upload = client.post(
        f"/visits/{uuid}/photos",
        data={"photo": (io.BytesIO(jpeg_bytes()), "../../escape.jpg"), "item": ""},
    )
    assert upload.status_code == 201
    added = {p for p in tmp_path.rglob("*")} - before
    photo_dir = app.config["PHOTOS_DIR"]
    assert added and all(str(p).startswith(photo_dir) for p in added)
    # only what this test wrote: another test's temp folder may be named *escape*
    assert not any(
        p.name.startswith("escape") for p in added | set(tmp_path.parent.glob("escape*"))
    )


def test_an_opd_user_opens_no_evaluator_supervisor_admin_or_api_route(app, world_with_visit):
    """Role `opd` gets 403 on every route but its own pages, its CSRF token and its checks."""
    table, _ = routes(app, world_with_visit)
    client = app.test_client()
    client.post("/login", data={"username": OPD, "password": "demo-password"})
    others = [
        (endpoint, method, path)
        for endpoint, method, path in table
        if not endpoint.startswith("opd.")
        and endpoint not in ("auth.csrf_token", "api.post_check", "api.list_checks")
    ]
    families = {endpoint.split(".")[0] for endpoint, _, _ in others}
    assert {"field", "field_app", "api", "review", "dashboard", "admin"} <= families
    opened = []
    for endpoint, method, path in others:
        response = client.open(path, method=method, data={})
        if response.status_code != 403:
            opened.append(f"{method} {path} ({endpoint}) -> {response.status_code}")
        response.close()
    assert opened == []
    assert client.get("/opd/").status_code == 200
