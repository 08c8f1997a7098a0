"""Translations for everything people read: the pages and the notification texts.

The catalogs are Babel `.po` files under `caseflow/locale/<locale>/LC_MESSAGES/caseflow.po`,
source strings in English, Chinese (zh_CN) first for the service. They are compiled in memory
the first time a language is asked for (no binary `.mo` in the repository, nothing to forget to
rebuild): editing a `.po` and restarting is the whole workflow. `babel.cfg` at the top of the
tree says where `pybabel extract` finds the strings; tests/unit/test_catalogs.py fails when a
marked string has no Chinese translation.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "caseflow"
# The languages people may pick (BCP 47 tags, as in <html lang> and the language cookie);
# the first is the default.
LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = LANGUAGES[0]
# The catalog behind each language; None: the source strings themselves (English).
_CATALOG = {"zh-CN": "zh_CN", "en": None}


def normalise(language: str | None) -> str | None:
    """A supported language for a tag such as "zh", "zh_CN", "en-US"; None if unsupported."""
    code = (language or "").strip().replace("_", "-").lower()
    if code.startswith("zh"):
        return "zh-CN"
    if code.startswith("en"):
        return "en"
    return None


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations for a supported language (anything else gets the default)."""
    locale = _CATALOG[normalise(language) or DEFAULT_LANGUAGE]
    if locale is None:
        return gettext.NullTranslations()
    with open(catalog_path(locale), "rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries stay out, as msgfmt leaves them
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def N_(context: str, message: str) -> str:  # noqa: N802 - the conventional marker's name
    """Marks a string for extraction (with its context) where it is defined; translated
    later, with pgettext(context, message), in the language of whoever reads it."""
    return message
