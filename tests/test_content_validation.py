"""check-content: every kind of mistake a content editor can make is reported precisely."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.checks import ContentError
from bot.content.validation import read_content

ROOT = Path(__file__).resolve().parent.parent


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems(content_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as info:
        read_content(content_dir)
    return [str(p) for p in info.value.problems]


def test_fixture_is_valid(small_content: Path) -> None:
    assert read_content(small_content).counts()["event"] == 4


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        (
            "events.toml",
            'text.tg = "2 марти',
            'text.xx = "2 марти',
            "events.toml [accession] text.tg: is missing",
        ),
        (
            "events.toml",
            'source = "seed-004"\nquote = "Finally',
            'source = "seed-999"\nquote = "Finally',
            "events.toml [accession] source: unknown source 'seed-999'",
        ),
        (
            "events.toml",
            'date = "1992-03-02"',
            'date = "02.03.1992"',
            "events.toml [accession] date: '02.03.1992' is not a date",
        ),
        (
            "events.toml",
            'date = "1992-03-02"',
            'date = "1992-02-30"',
            "events.toml [accession] date: '1992-02-30' is not a real day of the calendar",
        ),
        (
            "events.toml",
            'id = "untop"',
            'id = "accession"',
            "events.toml [accession] id: duplicate id",
        ),
        (
            "facts.toml",
            'text.en = "As of 2017, some 3,000',
            'text.en = "   "\nxx = "',
            "facts.toml [refugees-2017] text.en: is empty",
        ),
        (
            "facts.toml",
            'text.ru = "По данным',
            'text.ru = "<b>По данным',
            "facts.toml [refugees-2017] text.ru: contains HTML markup '<b>'",
        ),
        (
            "facts.toml",
            'quote = "some 3000',
            'quote = "some 4000',
            "facts.toml [refugees-2017] quote: not found in the seed file of seed-000",
        ),
        (
            "facts.toml",
            'topic = "refugees"',
            'topic = "sports"',
            "facts.toml [refugees-2017] topic: 'sports' is not one of",
        ),
        (
            "facts.toml",
            'as_of = "2017-05-31"\n',
            "",
            "facts.toml [refugees-2017] as_of: the text has a figure",
        ),
        (
            "contacts.toml",
            'agency = "unhcr"',
            'agency = "unicef"',
            "contacts.toml [unhcr-pi] agency: unknown agency 'unicef'",
        ),
        (
            "periods.toml",
            "from = 1992",
            "from = 1990",
            "periods.toml [peace] from: overlaps period 'before'",
        ),
        (
            "sources.toml",
            'file = "004_021264db135b38d3.txt"',
            'file = "missing.txt"',
            "sources.toml [seed-004] file: no seed file 'missing.txt'",
        ),
        (
            "events.toml",
            '[[event]]\nid = "untop"',
            '[[event]\nid = "untop"',
            "events.toml: is not valid TOML",
        ),
        (
            "agencies.toml",
            'since = "1993"',
            "since = 1993",
            "agencies.toml [unhcr] since: must be a date in quotes",
        ),
        (
            "events.toml",
            'end = "2007-08"',
            'end = "1999-01"',
            "events.toml [untop] end: is before the date",
        ),
    ],
)
def test_each_error_names_file_item_and_field(
    small_content: Path, file: str, old: str, new: str, expected: str
) -> None:
    edit(small_content / file, old, new)
    found = problems(small_content)
    assert any(p.startswith(expected) for p in found), found


def test_text_too_long_after_rendering(small_content: Path) -> None:
    edit(small_content / "facts.toml", 'text.tg = "То', 'text.tg = "' + "То " * 1400 + "То")
    found = problems(small_content)
    assert any(
        re.match(r"facts.toml \[refugees-2017\] tg: rendered message is \d+ characters, over", p)
        for p in found
    ), found


def test_missing_file_and_unknown_field(small_content: Path) -> None:
    (small_content / "glossary.toml").unlink()
    edit(small_content / "agencies.toml", 'since = "1993"', 'since = "1993"\nwebsite = "x"')
    found = problems(small_content)
    assert "glossary.toml: file is missing" in found
    assert "agencies.toml [unhcr] website: unknown field" in found


def test_all_problems_reported_together(small_content: Path) -> None:
    edit(small_content / "events.toml", 'date = "1992-03-02"', 'date = "1992-13"')
    edit(small_content / "facts.toml", 'topic = "refugees"', 'topic = "x"')
    assert len(problems(small_content)) == 2


def test_cli_exits_non_zero_with_each_error(small_content: Path) -> None:
    edit(small_content / "events.toml", 'date = "1992-03-02"', 'date = "1992-13"')
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-content", "--content-dir", str(small_content)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "error: events.toml [accession] date: '1992-13': there is no month 13" in result.stderr
    assert "1 problem(s)" in result.stderr


async def test_a_bad_content_file_never_starts_the_bot(tmp_path: Path, small_content: Path) -> None:
    from fakegram.harness import Harness

    edit(small_content / "events.toml", 'date = "1992-03-02"', 'date = "1992-13"')
    with pytest.raises(ContentError):
        async with Harness(tmp_path, content_dir=small_content):
            pass
