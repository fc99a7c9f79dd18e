"""What every command shares: the date type, the app factory, clean domain errors."""

from __future__ import annotations

from functools import wraps

import click

from survey_app import create_app
from survey_app.core.errors import DomainError

DATE = click.DateTime(formats=["%Y-%m-%d"])


def domain_errors(func):
    """Turn a DomainError into one clear line and exit code 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper


def day(value) -> str | None:
    return value.date().isoformat() if value else None


def app_for_cli():
    """The app for a command: no secret key needed to read or write the database."""
    return create_app(check_secret=False)
