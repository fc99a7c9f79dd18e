"""Start-up cost: importing the app, a server's first response, a short CLI command.

Prints, each as the median of --runs fresh processes and each beside a baseline, the
wall time and the CPU time the processes used (on a shared machine the CPU time moves
less with the neighbours' load than the wall time does):

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
import resource
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
import time; start, cpu = time.perf_counter(), time.process_time()
from survey_app import create_app
create_app()
"""
IMPORT_FLASK = """
import time; start, cpu = time.perf_counter(), time.process_time()
from flask import Flask
Flask("bare")
"""
# Appended to both: the child's time since `start`, its peak memory, heavy libraries loaded.
REPORT = f"""
import json, resource, sys
print(json.dumps({{
    "seconds": time.perf_counter() - start,
    "cpu": time.process_time() - cpu,
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


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_figures(code: str, env: dict, runs: int) -> dict:
    """Medians of wall, CPU and peak memory of `code` in fresh interpreters; its heavy imports."""
    found = []
    for _ in range(runs):
        # cwd: `-c` puts the working directory first on sys.path, ahead of PYTHONPATH.
        out = subprocess.run(
            [sys.executable, "-c", code + REPORT],
            env=env,
            cwd=env["BENCH_STARTUP_DATA"],
            capture_output=True,
        )
        found.append(json.loads(out.stdout.decode().strip().splitlines()[-1]))
    figures = {k: statistics.median(f[k] for f in found) for k in ("seconds", "cpu", "rss_mb")}
    return {**figures, "heavy": found[-1]["heavy"]}


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_response(command: list[str], port: int, env: dict, timeout: float = 60) -> float:
    """Seconds from starting the server until GET /login answers 200; the server is stopped."""
    start = time.perf_counter()
    server = subprocess.Popen(
        command,
        env=env,
        cwd=env["BENCH_STARTUP_DATA"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
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


def served(make_command, env: dict, runs: int) -> dict:
    """Medians of time to first 200 and of the servers' CPU (start, one request, stop)."""
    times, cpu = [], []
    for _ in range(runs):
        port, before = free_port(), children_cpu()
        times.append(first_response(make_command(port), port, env))
        cpu.append(children_cpu() - before)
    return {"seconds": statistics.median(times), "cpu": statistics.median(cpu)}


def ran(command: list[str], env: dict, runs: int) -> dict:
    """Medians of wall and CPU time of running `command` to its end."""
    times, cpu = [], []
    for _ in range(runs):
        start, before = time.perf_counter(), children_cpu()
        subprocess.run(
            command, env=env, cwd=env["BENCH_STARTUP_DATA"], stdout=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - start)
        cpu.append(children_cpu() - before)
    return {"seconds": statistics.median(times), "cpu": statistics.median(cpu)}


def environment(root: Path, data: Path) -> dict:
    """The child processes' environment: `root`'s code, a database and photos in `data`."""
    return {
        **os.environ,
        "PYTHONPATH": str(root),
        "BENCH_STARTUP_DATA": str(data),
        "SURVEY_APP_DATABASE": str(data / "survey.db"),
        "SURVEY_APP_PHOTOS_DIR": str(data / "photos"),
        "SURVEY_APP_SECRET_KEY": "bench-startup",
    }


def line(label: str, figures: dict, baseline: str, base: dict) -> str:
    """One figure and its baseline: wall time, then CPU time, in milliseconds."""

    def both(f: dict) -> str:
        return f"{f['seconds'] * 1000:5.0f} ms wall, {f['cpu'] * 1000:4.0f} ms CPU"

    return f"{label:<28}{both(figures)}   ({baseline}: {both(base)})"


def measure(root: Path, runs: int) -> None:
    """Seed a small database with `root`'s code, then print the three figures."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as data:
        env = environment(root, Path(data))
        for command in (["init-db"], ["seed-demo"]):  # the demo's 30 visits
            subprocess.run([str(CLI), *command], env=env, stdout=subprocess.DEVNULL, check=True)
        app, bare = import_figures(IMPORT_APP, env, runs), import_figures(IMPORT_FLASK, env, runs)
        server = served(lambda port: [str(CLI), "run", "--port", str(port)], env, runs)
        bare_server = served(lambda port: [sys.executable, "-c", BARE_SERVER, str(port)], env, runs)
        scores = ran([str(CLI), "scores", "--by", "opd"], env, runs)
        nothing = ran([sys.executable, "-c", "pass"], env, runs)
    print(f"code: {root}  ({runs} processes per figure, medians)")
    print(line("import + create_app()", app, "import Flask, Flask()", bare))
    heavy = ", ".join(app["heavy"]) or "none"
    print(f"{'':<28}peak {app['rss_mb']:.0f} MB (Flask {bare['rss_mb']:.0f} MB), heavy: {heavy}")
    print(line("survey-app run, first 200", server, "bare Flask on waitress", bare_server))
    print(line("survey-app scores --by opd", scores, "python -c pass", nothing))


def main() -> None:
    """Parse the options and measure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose code to measure")
    parser.add_argument("--runs", type=int, default=7, help="processes per figure (median)")
    args = parser.parse_args()
    measure(args.root.resolve(), args.runs)


if __name__ == "__main__":
    main()
