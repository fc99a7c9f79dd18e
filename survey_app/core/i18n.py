"""Translatable text without Flask: strings marked N_ and translated when shown.

Flask-Babel needs a request; the domain is used by the CLI and batch
documents as well, so it reads the same catalogue through Babel directly.
The web layer tells it the user's locale with `set_locale_source`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"  # Indonesian first, also on the CLI

_locale_source: Callable[[], str] = lambda: DEFAULT_LOCALE  # noqa: E731


def N_(text: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return text


@cache
def translations(locale: str) -> NullTranslations:
    """The catalogue for a locale (English is the source language)."""
    if locale not in LOCALES or locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def set_locale_source(source: Callable[[], str]) -> None:
    """Let the web layer say which locale the current user reads."""
    global _locale_source
    _locale_source = source


def current_locale() -> str:
    """The locale messages are shown in now."""
    return _locale_source()


def gettext(text: str, locale: str | None = None, **params) -> str:
    """Translate a marked string into the locale (the current one by default)."""
    translated = translations(locale or current_locale()).gettext(text)
    return translated % params if params else translated


class LazyText:
    """A marked message with its parameters, translated each time it is shown."""

    def __init__(self, text: str, **params) -> None:
        self.text, self.params = text, params

    def __str__(self) -> str:
        return gettext(self.text, **self.params)


def lazy(text: str, **params) -> LazyText:
    """A message translated when shown; `pybabel` extracts it as `lazy`."""
    return LazyText(text, **params)
