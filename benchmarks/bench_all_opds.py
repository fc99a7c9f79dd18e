"""`survey-app findings all-opds` on one core against every core: wall time of jobs=1 and jobs=2.

    python benchmarks/generate.py --scale city --out /tmp/bench-city --photos 200
    python benchmarks/bench_all_opds.py /tmp/bench-city

Goal: at least 1.7x faster with --jobs 2 than with --jobs 1 on a 2-core
machine. Each run is the real command in its own process (numbers issued,
PDFs written, checksums recorded), the code of this checkout; the two runs
must write the same number of PDFs and pages. Each run works on its own fresh
copy of the data set, so both pay for the same print copies of the photos and
number their documents from the same register; the data set itself is left
as it was.

On a machine shared with other work, give the benchmark the cores it measures:
`nice -n -20` (as root; with `kernel.sched_autogroup_enabled=0`, or nice only
ranks processes within their own session).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from survey_app.cli import cli; sys.argv[0] = 'survey-app'; cli()"


def run(data: Path, out: Path, jobs: int, date_from: str, date_to: str) -> tuple[float, float, str]:
    """Wall and CPU time of one all-opds run, on a fresh copy of the data, and its summary line."""
    copy = out.parent / f"data-{jobs}"
    shutil.copytree(data, copy)
    data = copy
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SURVEY_APP_DATABASE": str(data / "survey.db"),
        "SURVEY_APP_PHOTOS_DIR": str(data / "photos"),
        "SURVEY_APP_SECRET_KEY": "bench",
    }
    args = ["findings", "all-opds", "--from", date_from, "--to", date_to, "--out", str(out)]
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args, "--jobs", str(jobs)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = after.ru_utime - cpu.ru_utime + after.ru_stime - cpu.ru_stime
    shutil.rmtree(copy)
    return wall, used, done.stdout.strip().splitlines()[-1]


def main() -> None:
    """Run jobs=1 then jobs=2 once each and print the wall times and the speed-up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a folder made by benchmarks/generate.py")
    parser.add_argument("--from", dest="date_from", default="2026-03-01")
    parser.add_argument("--to", dest="date_to", default="2026-03-31")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f}")
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            seconds, used, summary = run(
                args.data, Path(tmp) / str(jobs), jobs, args.date_from, args.date_to
            )
            reports = int(re.match(r"(\d+) OPD reports", summary).group(1))
            times[jobs] = seconds
            print(
                f"jobs={jobs}: {seconds:.1f} s wall, {used:.1f} s CPU, "
                f"{seconds / reports:.2f} s per PDF ({summary})"
            )
    print(f"speed-up jobs=2 vs jobs=1: {times[1] / times[2]:.2f}x (goal >= 1.7x)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
