"""Every user-facing string has its Indonesian translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "survey_app" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def test_catalogue_covers_every_marked_string(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "_n:1,2",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with PO.open("rb") as fh:
        catalogue = read_po(fh, locale="id")
    missing = [m for m in extracted if not (catalogue.get(m) and catalogue.get(m).string)]
    assert missing == [], f"run `make translations` and translate: {missing}"
    assert len(extracted) > 100
