"""Heavy libraries load only where they are used: a server or a data command never pays for them.

WeasyPrint costs a process about 0.5 s and 28 MB, openpyxl about 0.15 s, Pillow about 20 ms;
each probe runs in a fresh interpreter, since this one has long imported everything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("weasyprint", "openpyxl", "PIL")

# Prints the heavy top-level packages that the code before it loaded.
REPORT = (
    "import sys\n"
    f"loaded = {{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}\n"
    "print('heavy:' + ','.join(sorted(loaded)))\n"
)


def _loaded_after(code: str, tmp_path: Path) -> set[str]:
    """The heavy packages in sys.modules after `code` runs in a fresh interpreter."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SURVEY_APP_DATABASE": str(tmp_path / "survey.db"),
        "SURVEY_APP_PHOTOS_DIR": str(tmp_path / "photos"),
        "SURVEY_APP_SECRET_KEY": "test-secret",
    }
    result = subprocess.run(
        [sys.executable, "-c", code + REPORT],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    report = result.stdout.rpartition("heavy:")[2].strip()
    return set(filter(None, report.split(",")))


def test_the_probe_sees_a_heavy_import(tmp_path):
    assert _loaded_after("import survey_app.findings.pdf\n", tmp_path) >= {"weasyprint"}
    assert _loaded_after("import survey_app.findings.workbook\n", tmp_path) >= {"openpyxl"}


def test_the_app_loads_no_pdf_spreadsheet_or_image_library(tmp_path):
    code = "from survey_app import create_app\ncreate_app()\n"
    assert _loaded_after(code, tmp_path) == set()


def test_the_command_line_group_loads_none(tmp_path):
    assert _loaded_after("import survey_app.cli\n", tmp_path) == set()


def test_data_commands_load_none(tmp_path):
    code = (
        "from survey_app.cli import cli\n"
        "cli.main(['init-db'], standalone_mode=False)\n"
        "cli.main(['scores', '--by', 'opd'], standalone_mode=False)\n"
    )
    assert _loaded_after(code, tmp_path) == set()
