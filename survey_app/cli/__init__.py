"""The `survey-app` command line: a Flask CLI group on the app factory."""

from __future__ import annotations

from flask.cli import FlaskGroup

from survey_app.cli import commands, findings, hub, maintenance
from survey_app.cli.common import app_for_cli

cli = FlaskGroup(
    create_app=app_for_cli, add_default_commands=False, help="Mystery-shopper survey toolkit."
)
for command in commands.COMMANDS + maintenance.COMMANDS + findings.COMMANDS + hub.COMMANDS:
    cli.add_command(command)
