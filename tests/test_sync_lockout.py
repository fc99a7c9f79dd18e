"""The lockout holds when one evaluator sends many visits to one OPD at the same moment.

It is judged before the write lock (to answer early) and again inside the
batched write, where the visits stored by the writes queued before are seen.
"""

import threading

from survey_app.store.connection import connect

from .servers import Client, ServerProcess
from .test_api import gen_payload

SENDERS = 12


def all_at_once(posts):
    """Run each post on its own thread, released together by a barrier; their outcomes."""
    barrier = threading.Barrier(len(posts))
    outcomes = [None] * len(posts)

    def run(n):
        barrier.wait()
        try:
            outcomes[n] = posts[n]()
        except Exception as exc:  # reported by the assertions
            outcomes[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(posts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes


def stored_for(path, opd_id):
    check = connect(path)
    count = check.execute("select count(*) from visits where opd_id = ?", [opd_id]).fetchone()[0]
    check.close()
    return count


def assert_one_stored_the_rest_locked_out(outcomes, path, opd_id):
    statuses = sorted(o[0] for o in outcomes)
    assert statuses == [201] + [403] * (SENDERS - 1), outcomes
    refusals = [o[1] for o in outcomes if o[0] == 403]
    assert {r["error"] for r in refusals} == {"lockout"}
    assert all("Anda dapat berkunjung lagi" in r["message"] for r in refusals), refusals[0]
    assert stored_for(path, opd_id) == 1


def test_concurrent_visits_to_one_opd_store_one_in_process(app, db, world):
    bodies = [gen_payload(db) for _ in range(SENDERS)]
    clients = []
    for _ in bodies:
        client = app.test_client()
        client.post("/login", data={"username": "evaluator1", "password": "demo-password"})
        clients.append(client)

    def post(client, body):
        response = client.post("/api/v1/visits", json=body)
        return response.status_code, response.get_json()

    outcomes = all_at_once(
        [lambda c=c, b=b: post(c, b) for c, b in zip(clients, bodies, strict=True)]
    )
    assert_one_stored_the_rest_locked_out(outcomes, app.config["DATABASE"], bodies[0]["opd_id"])


def test_concurrent_visits_to_one_opd_store_one_through_the_real_server(app, db, world):
    bodies = [gen_payload(db) for _ in range(SENDERS)]
    with ServerProcess(app, args=("--workers", "2", "--threads", "6")) as server:
        clients = [Client(server.url).login("evaluator1") for _ in bodies]
        outcomes = all_at_once(
            [
                lambda c=c, b=b: c.post_json("/api/v1/visits", b)
                for c, b in zip(clients, bodies, strict=True)
            ]
        )
    assert_one_stored_the_rest_locked_out(outcomes, app.config["DATABASE"], bodies[0]["opd_id"])
