"""The translation catalogs are complete: every string marked in the code and the templates
(as `pybabel extract` with babel.cfg finds it) has a Chinese translation, and the catalog
compiles from its .po as the API and the delivery worker compile it at start."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from caseflow.i18n import catalog_path, normalise, translations

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": ((1, "c"), 2),
}
METHODS = [
    ("caseflow/**.py", "python"),
    ("api/**.py", "python"),
    ("api/templates/**.html", "jinja2"),
]


def _marked() -> set[tuple[str | None, str]]:
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT,
        METHODS,
        options_map={"api/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords=KEYWORDS,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context, msgid))
    return found


def _catalog() -> dict[tuple[str | None, str], object]:
    with open(catalog_path("zh_CN"), "rb") as po:
        catalog = read_po(po, locale="zh_CN")
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}


def test_every_marked_string_has_a_chinese_translation():
    catalog = _catalog()
    marked = _marked()
    assert len(marked) > 300  # the extraction did find the pages' and notifications' strings
    missing = sorted(k for k in marked if k not in catalog)
    assert not missing, f"not in the zh_CN catalog (run pybabel update): {missing[:10]}"
    untranslated = sorted(
        k
        for k in marked
        if not catalog[k].string or catalog[k].fuzzy or catalog[k].string in ("", ("",))
    )
    assert not untranslated, f"no Chinese yet: {untranslated[:10]}"


def test_the_catalog_compiles_and_translates_in_memory():
    zh = translations("zh-CN")
    assert zh.gettext("Sign in") == "登录"
    assert zh.pgettext("refusal", "The case is already in that department.").startswith("该工单")
    assert translations("en").gettext("Sign in") == "Sign in"  # the source language


def test_language_tags_are_normalised():
    assert normalise("zh") == normalise("zh_CN") == normalise("zh-Hans-CN") == "zh-CN"
    assert normalise("en-US") == "en"
    assert normalise("fr") is None and normalise(None) is None
