"""Start-up cost: importing the app, a server's first response, a short CLI command.

Prints, each as the median of --runs fresh processes and each beside a baseline:

- import of survey_app and create_app(), in the child's own clock, with its peak
  memory and which heavy libraries it loaded (baseline: import Flask, Flask());
- time from starting `survey-app run` on a free loopback port until GET /login
  answers 200 (baseline: a bare Flask app with one route on waitress);
- wall time of `survey-app scores --by opd` on a small seeded database
  (baseline: `python -c pass`).

Figures only, no assertions. --root measures another checkout of the code (its
directory goes first on PYTHONPATH), so old and new code run under the same
interpreter and packages:

    .venv/bin/python benchmarks/bench_startup.py
    .venv/bin/python benchmarks/bench_startup.py --root /tmp/lazy-base
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).parent / "survey-app"
HEAVY = ("weasyprint", "openpyxl", "PIL")

IMPORT_APP = """
import time; start = time.perf_counter()
from survey_app import create_app
create_app()
"""
IMPORT_FLASK = """
import time; start = time.perf_counter()
from flask import Flask
Flask("bare")
"""
# Appended to both: the child's time since `start`, its peak memory, heavy libraries loaded.
REPORT = f"""
import json, resource, sys
print(json.dumps({{
    "seconds": time.perf_counter() - start,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & {set(HEAVY)!r}),
}}))
"""
BARE_SERVER = """
import sys
from flask import Flask
from waitress import serve
app = Flask("bare")
app.get("/login")(lambda: "ok")
serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=8)
"""


def import_figures(code: str, env: dict, runs: int) -> dict:
    """Median seconds and peak memory of `code` in fresh interpreters, and its heavy imports."""
    found = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code + REPORT], env=env, capture_output=True, check=True
        ).stdout
        found.append(json.loads(out.decode().strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(f["seconds"] for f in found),
        "rss_mb": statistics.median(f["rss_mb"] for f in found),
        "heavy": found[-1]["heavy"],
    }


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_response(command: list[str], port: int, env: dict, timeout: float = 60) -> float:
    """Seconds from starting the server until GET /login answers 200; the server is stopped."""
    start = time.perf_counter()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - start < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if server.poll() is not None:
                    raise RuntimeError(server.stderr.read().decode()) from None
                time.sleep(0.005)
        raise RuntimeError(f"no 200 from /login within {timeout} s")
    finally:
        server.terminate()
        server.wait()


def median_first_response(make_command, env: dict, runs: int) -> float:
    """Median of first_response over `runs` servers, each on its own free port."""
    times = []
    for _ in range(runs):
        port = free_port()
        times.append(first_response(make_command(port), port, env))
    return statistics.median(times)


def wall_time(command: list[str], env: dict, runs: int) -> float:
    """Median wall time of running `command` to its end."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def environment(root: Path, data: Path) -> dict:
    """The child processes' environment: `root`'s code, a database and photos in `data`."""
    return {
        **os.environ,
        "PYTHONPATH": str(root),
        "SURVEY_APP_DATABASE": str(data / "survey.db"),
        "SURVEY_APP_PHOTOS_DIR": str(data / "photos"),
        "SURVEY_APP_SECRET_KEY": "bench-startup",
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.0f} ms"


def main() -> None:
    """Seed a small database with the measured code, then print the three figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose code to measure")
    parser.add_argument("--runs", type=int, default=7, help="processes per figure (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data:
        env = environment(args.root.resolve(), Path(data))
        for command in (["init-db"], ["seed-demo"]):  # the demo's 30 visits
            subprocess.run([str(CLI), *command], env=env, stdout=subprocess.DEVNULL, check=True)
        app = import_figures(IMPORT_APP, env, args.runs)
        bare = import_figures(IMPORT_FLASK, env, args.runs)
        served = median_first_response(
            lambda port: [str(CLI), "run", "--port", str(port)], env, args.runs
        )
        served_bare = median_first_response(
            lambda port: [sys.executable, "-c", BARE_SERVER, str(port)], env, args.runs
        )
        scores = wall_time([str(CLI), "scores", "--by", "opd"], env, args.runs)
        nothing = wall_time([sys.executable, "-c", "pass"], env, args.runs)
    print(f"code: {args.root.resolve()}  ({args.runs} processes per figure, medians)")
    print(
        f"import + create_app()       {ms(app['seconds'])}  {app['rss_mb']:.0f} MB peak, "
        f"heavy: {', '.join(app['heavy']) or 'none'}   "
        f"(bare Flask: {ms(bare['seconds'])}, {bare['rss_mb']:.0f} MB)"
    )
    print(f"survey-app run, first 200   {ms(served)}  (bare Flask on waitress: {ms(served_bare)})")
    print(f"survey-app scores --by opd  {ms(scores)}  (python -c pass: {ms(nothing)})")


if __name__ == "__main__":
    main()
