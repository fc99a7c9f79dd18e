"""Extract the catalogue and merge it into the Indonesian .po, keeping translations.

Usage: python scripts/translations.py [extra-translations.py ...]
Each extra file may define T = {msgid: msgstr} to fill new entries.
"""

import runpy
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "survey_app" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
POT = ROOT / "build" / "messages.pot"


def main() -> None:
    POT.parent.mkdir(exist_ok=True)
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
            "-k",
            "lazy",
            "--no-location",
            "-o",
            str(POT),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with POT.open("rb") as fh:
        template = read_po(fh)
    old = None
    if PO.exists():
        with PO.open("rb") as fh:
            old = read_po(fh, locale="id")
    extra = {}
    for path in sys.argv[1:]:
        extra.update(runpy.run_path(path)["T"])
    template.locale = "id"
    for message in template:
        if not message.id:
            continue
        known = old.get(message.id) if old else None
        if (
            known
            and known.string
            and any(known.string if isinstance(known.string, tuple) else [known.string])
        ):
            message.string = known.string
        elif message.id in extra:
            message.string = extra[message.id]
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, template, omit_header=False, no_location=True, sort_output=True)
    missing = [m.id for m in template if m.id and not m.string]
    print(f"{PO}: {len(template)} messages, {len(missing)} untranslated")
    for msgid in missing:
        print("  missing:", msgid)


if __name__ == "__main__":
    main()
