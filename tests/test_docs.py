"""The README stays true: every setting documented, every module on the layout map."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from survey_app import create_app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else None]


def test_every_setting_of_ours_is_documented(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE": str(tmp_path / "d.db")})
    ours = {
        key
        for key in app.config
        if key not in Flask.default_config
        and not key.startswith(("BABEL_", "WTF_", "TESTING", "SECRET_KEY"))
    }
    assert {"DATABASE", "WRITE_WAIT_SECONDS", "LOCKOUT_MIN_DAYS"} <= ours
    table = _section("Configuration")
    missing = sorted(k for k in ours if f"`SURVEY_APP_{k}`" not in table)
    assert missing == []


def test_the_layout_map_lists_every_module():
    layout = _section("Layout")
    named = set(re.findall(r"[\w-]+\.(?:py|yaml|js|css)", layout))
    modules = {
        p.name
        for p in (ROOT / "survey_app").rglob("*.py")
        if p.name != "__init__.py" or p.parent.name in ("core", "store", "findings", "web", "cli")
    }
    modules.discard("__init__.py")
    assert {"records.py", "figures.py", "api.py", "scoring.py"} <= modules
    assert sorted(modules - named) == []
    folders = {
        p.name for p in (ROOT / "survey_app").iterdir() if p.is_dir() and p.name != "__pycache__"
    }
    assert sorted(f for f in folders if f"{f}/" not in layout) == []
