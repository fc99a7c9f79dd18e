"""A throwaway PostgreSQL cluster for the hub tests: Debian's server, started and stopped for real.

initdb and pg_ctl run in a temporary directory as an unprivileged user: the
tests may run as root, and PostgreSQL refuses to; then the `postgres` user
of Debian's package runs them (runuser), owning the data directory. One
cluster per test session (per xdist worker), one fresh database per test.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .servers import free_port

_names = itertools.count(1)


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    if not found or not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is missing: make test installs `postgresql`")
    return found[-1]


class Cluster:
    """initdb + pg_ctl on a loopback port; `database()` makes a fresh, empty database."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="survey-pg-"))
        self.data, self.port = self.root / "data", free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses root: run it as Debian's `postgres` user
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, cwd=self.root)

    def start(self) -> Cluster:
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", self.options, "-w", "start")  # fmt: skip
        return self

    @property
    def options(self) -> str:
        # a test cluster: durability is the operating system's concern, not the tests'
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )

    def restart(self) -> None:
        """Stop and start the server: its shared buffers start empty (a cold start)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", self.options, "-m", "fast", "-w", "restart")  # fmt: skip

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"hub_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"create database {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
