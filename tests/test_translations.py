"""Every user-facing string is translated in ru, tg and en, and no catalog is stale."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ru", "tg", "en")
KEYWORDS = {
    "gettext": None,
    "pgettext": ((1, "c"), 2),
    "ngettext": (1, 2),
    "npgettext": ((1, "c"), 2, 3),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def code_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every string marked in the code, as pybabel extract sees it."""
    found: set[tuple[str | None, str]] = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            found.add((context, msgid))
    return found


def catalog(lang: str) -> Catalog:
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=lang)


def problems_of(cat: Catalog, expected: set[tuple[str | None, str]]) -> list[str]:
    """Missing, untranslated, fuzzy, stale entries and placeholder mismatches."""
    problems = []
    entries = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id): m for m in cat if m.id}
    for key in sorted(expected - entries.keys(), key=str):
        problems.append(f"{cat.locale}: not in the catalog (run pybabel update): {key}")
    for key in sorted(entries.keys() - expected, key=str):
        problems.append(f"{cat.locale}: stale, no longer in the code: {key}")
    for key, message in entries.items():
        if key not in expected:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or "fuzzy" in message.flags:
            problems.append(f"{cat.locale}: untranslated: {key}")
            continue
        wanted = set(PLACEHOLDER.findall(key[1]))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"{cat.locale}: placeholders differ from the msgid in {text!r}")
    return problems


def test_every_message_is_translated_in_every_language() -> None:
    expected = code_messages()
    assert len(expected) > 100
    problems = [p for lang in LANGUAGES for p in problems_of(catalog(lang), expected)]
    assert problems == []


def test_the_check_fails_on_an_untranslated_or_stale_string() -> None:
    """The same check, shown failing on a catalog with a deliberately untranslated string."""
    cat = Catalog(locale="tg")
    cat.add("Hello, {name}!", "Салом, {name}!", context="start")
    cat.add("Goodbye", "", context="start")  # deliberately untranslated
    cat.add("Old text", "Матни кӯҳна", context="start")  # stale: not in the "code" below
    cat.add("In {n} days", "Пас аз {days} рӯз", context="start")  # wrong placeholder
    expected = {
        ("start", "Hello, {name}!"),
        ("start", "Goodbye"),
        ("start", "In {n} days"),
        ("start", "New text"),
    }
    problems = problems_of(cat, expected)
    assert "tg: untranslated: ('start', 'Goodbye')" in problems
    assert "tg: stale, no longer in the code: ('start', 'Old text')" in problems
    assert "tg: not in the catalog (run pybabel update): ('start', 'New text')" in problems
    assert any("placeholders differ" in p for p in problems)
    assert not any("Hello" in p for p in problems)


def test_tajik_translations_use_only_tajik_letters() -> None:
    foreign = re.compile(r"[цщыьЦЩЫЬ]")
    bad = [m.string for m in catalog("tg") if m.id and foreign.search(str(m.string))]
    assert bad == []
