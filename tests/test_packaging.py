"""`pip install` alone gives what `make run` gives: catalogues compiled, instruments shipped."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run in the installed copy only: no source tree, no `make`, no compiled catalogue beside it.
PROBE = r"""
import subprocess, sys, pathlib
import survey_app
from survey_app import create_app
from survey_app.cli import cli
from survey_app.findings import render
from survey_app.store import demo
from survey_app.store.connection import connect, migrate
from survey_app.store import records

here = pathlib.Path(sys.argv[1])
assert str(here / "site") in survey_app.__file__, survey_app.__file__
app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(here / "s.db"),
                  "PHOTOS_DIR": str(here / "photos"), "WTF_CSRF_ENABLED": False})
db = connect(app.config["DATABASE"])
migrate(db)
assert records.load_instruments_dir(db, app.config["INSTRUMENTS_DIR"]) == []
assert {i.id for i in records.current_instruments(db)} >= {"skm", "kunjungan", "kepatuhan"}
demo.seed(db, app.config["PHOTOS_DIR"])
page = app.test_client().get("/login").get_data(as_text=True)
assert "Kata sandi" in page, page[:500]
pdf = render.opd_pdf(db, "disdukcapil", "2026-04-01", "2026-09-30", app.config["PHOTOS_DIR"])
(here / "opd.pdf").write_bytes(pdf.pdf)
print("ok")
"""


def _source_copy(target: Path) -> Path:
    """The tracked files only, as a fresh clone has them (no .mo, no .venv)."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    archive = target / "src.tar"
    with tarfile.open(archive, "w") as tar:
        for name in filter(None, files):
            path = ROOT / name.decode()
            if path.exists():
                tar.add(path, arcname=name.decode())
    with tarfile.open(archive) as tar:
        tar.extractall(target / "src", filter="data")
    return target / "src"


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_a_plain_pip_install_serves_indonesian_pages_and_pdfs(tmp_path):
    source = _source_copy(tmp_path)
    assert not list(source.rglob("*.mo"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # no build isolation: the test extras put setuptools, wheel and Babel in this venv
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    [wheel] = (tmp_path / "dist").glob("*.whl")
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "opd.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Halaman 2 dari" in text and "Laporan Temuan" in text
