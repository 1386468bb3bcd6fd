"""The shipped content: complete in three languages, true to its sources, browsable."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.content.model import CONTENT_DIR
from bot.content.validation import read_content
from bot.dates import PartialDate
from fakegram.harness import Harness
from fakegram.pgserver import database_env

ROOT = Path(__file__).resolve().parent.parent
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"
CONTENT = read_content()
TEXT_FIELDS = ("title", "text", "acronym", "name", "profile", "role")


def all_texts() -> list[tuple[str, str, str, str]]:
    found = []
    for kind, items in CONTENT.items.items():
        for item in items:
            fields = (
                {"text": item.text}
                if kind == "term"
                else {f: getattr(item, f) for f in TEXT_FIELDS if hasattr(item, f)}
            )
            for field, texts in fields.items():
                for lang, text in texts.items():
                    found.append((kind, item.id, f"{field}.{lang}", text))
    return found


def test_every_item_in_three_languages() -> None:
    for kind, items in CONTENT.items.items():
        for item in items:
            texts = (
                [item.text]
                if kind == "term"
                else [getattr(item, f) for f in TEXT_FIELDS if hasattr(item, f)]
            )
            for field in texts:
                assert set(field) == {"ru", "tg", "en"} and all(
                    v.strip() for v in field.values()
                ), item.id


def test_event_dates_parse_with_their_precision() -> None:
    precisions = {e.when.precision for e in CONTENT.events}
    assert precisions == {"day", "month", "year"}
    assert str(PartialDate.parse("1997-06")) == "1997-06"
    untop = next(
        e for e in CONTENT.events if e.until is not None and e.when == PartialDate(2000, 5)
    )
    assert untop.until == PartialDate(2007, 8)


def test_quotes_really_appear_in_their_seed_files() -> None:
    def normal(text: str) -> str:
        return " ".join(text.split())

    seeds = {
        s.id: normal((CONTENT_DIR / "seeds" / s.file).read_text(encoding="utf-8"))
        for s in CONTENT.sources
        if s.file
    }
    checked = 0
    for kind in ("event", "fact", "agency", "contact"):
        for item in CONTENT.items[kind]:
            if item.source in seeds:
                assert item.quote, f"{kind} {item.id} cites a seed without a quote"
                for quote in item.quote:
                    assert normal(quote) in seeds[item.source], (item.id, quote)
                    checked += 1
    assert checked > 50


@pytest.mark.skipif(not SHARED_SEEDS.exists(), reason="shared/seeds is not beside this checkout")
def test_the_seed_copies_are_the_shared_seeds() -> None:
    for path in (CONTENT_DIR / "seeds").glob("*.txt"):
        assert path.read_bytes() == (SHARED_SEEDS / path.name).read_bytes(), path.name


def test_key_facts_of_the_sources_are_covered() -> None:
    dates = {str(e.when) for e in CONTENT.events}
    for date in ("1942-01-01", "1992-01-29", "1992-03-02", "1993-02-01", "2017-05-31"):
        assert date in dates
    for month in ("2000-05", "2007-08"):
        assert any(d.startswith(month) for d in dates)
    texts = " ".join(t for _, _, f, t in all_texts() if f.endswith(".en"))
    for needle in (
        "368 million",
        "21 UN agencies",
        "1 billion",
        "3,000",
        "26,000",
        "Nodira Akbaralieva",
        "Parvina Muhamedkhojaeva",
        "Vito Trani",
        "Lucia Elmi",
        "Early Warnings for All",
    ):
        assert needle in texts, needle


def test_tajik_uses_only_tajik_letters() -> None:
    foreign = re.compile(r"[цщыьЦЩЫЬ]")
    assert [
        (k, i, f) for k, i, f, t in all_texts() if f.endswith(".tg") and foreign.search(t)
    ] == []


# -- browsing the shipped content in each language ---------------------------------------


@pytest.mark.parametrize(
    ("lang", "topics"),
    [("ru", "Выберите тему"), ("tg", "Мавзӯъро интихоб кунед"), ("en", "Choose a topic")],
)
async def test_facts_pages_both_ways_to_the_last(harness: Harness, lang: str, topics: str) -> None:
    user = harness.user(language_code=lang)
    menu = (await user.send("/facts")).last
    assert topics in menu.text
    topic_buttons = [b for b in menu.flat_buttons if b.data and b.data.startswith("facts:")]
    big = max(topic_buttons, key=lambda b: int(b.text.rsplit("(", 1)[1].rstrip(")")))
    first = (await user.press(big.text)).last
    pages = int(re.search(r"(\d+)\D*$", first.text.split("\n")[0]).group(1))  # "page 1 of N"
    assert pages >= 2
    forward = next(b for b in first.flat_buttons if b.data and b.data.endswith(":1"))
    texts = [first.text]
    current = first
    for page in range(1, pages):
        nxt = next(b for b in current.flat_buttons if b.data and b.data.endswith(f":{page}"))
        current = (await user.press(nxt.text, message=current.message)).last
        assert current.method == "editMessageText"
        texts.append(current.text)
    assert not any(
        b.data and b.data.endswith(f":{pages}") for b in current.flat_buttons
    )  # the last
    back = next(b for b in current.flat_buttons if b.data and b.data.endswith(f":{pages - 2}"))
    assert (await user.press(back.text, message=current.message)).last.text == texts[-2]
    assert forward.data and all(t.count("\n\n") >= 2 for t in texts)  # each fact with its source


@pytest.mark.parametrize("lang", ["ru", "tg", "en"])
async def test_history_from_first_period_to_last(harness: Harness, lang: str) -> None:
    user = harness.user(language_code=lang)
    reply = (await user.send("/history")).last
    seen = [reply.text.split("\n")[0]]
    for _ in range(20):
        forward = [b for b in reply.flat_buttons if b.text.endswith("▶️") or b.text.startswith("⬇️")]
        if not forward:
            break
        reply = (await user.press(forward[0].text, message=reply.message)).last
        seen.append(reply.text.split("\n")[0])
        assert len(reply.text) <= 4096
    assert len(seen) >= len(CONTENT.periods)
    assert "2023" in seen[-1]


@pytest.mark.parametrize(
    ("lang", "expected"), [("ru", "34 года назад"), ("tg", "34 сол пеш"), ("en", "34 years ago")]
)
async def test_today_and_next(harness: Harness, lang: str, expected: str) -> None:
    harness.set_now(dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC))
    user = harness.user(language_code=lang)
    today = (await user.send("/today")).last.text
    assert "1992" in today and expected in today
    upcoming = (await user.send("/next")).last.text
    assert upcoming.count("\n") >= 3
    harness.set_now(dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC))
    assert (await user.send("/today")).last.text.count("\n") >= 2  # the nearest anniversary instead


@pytest.mark.parametrize("lang", ["ru", "tg", "en"])
async def test_agencies_and_contacts(harness: Harness, lang: str) -> None:
    user = harness.user(language_code=lang)
    listing = (await user.send("/agencies")).last
    agencies = [b for b in listing.flat_buttons if b.data and b.data.startswith("ag:")]
    assert len(agencies) == len(CONTENT.agencies)
    profile = (await user.press(listing.flat_buttons[0].text)).last
    assert profile.method == "editMessageText" and "1993" in profile.text
    back = (await user.press(profile.flat_buttons[0].text)).last
    assert back.text == listing.text
    contacts = (await user.send("/contacts")).last.text
    for contact in CONTENT.contacts:
        assert contact.name[lang] in contacts
    assert "@" not in contacts and not re.search(
        r"\+?\d[\d ()-]{7,}", contacts
    )  # no invented phone


@pytest.mark.parametrize(
    "data",
    [
        "facts:peace:99",
        "facts:nope:0",
        "hist:99:0",
        "hist:0:99",
        "ag:nope",
        "facts:peace:-1",
        "hist:x:y",
    ],
)
async def test_forged_callbacks_get_a_translated_alert(harness: Harness, data: str) -> None:
    user = harness.user(language_code="tg")
    await user.send("/facts")
    reply = (await user.press(data=data)).last
    assert reply.alert and reply.text.startswith("Ин тугма")


def test_sandbox_history_in_tajik_from_first_button_to_last(
    tmp_path: Path, db_target: Path | str
) -> None:
    import subprocess
    import sys

    script = "/language\n[Тоҷикӣ]\n/history\n" + "[▶️]\n" * 12
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"],
        input=script,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            **database_env(db_target),  # a SQLite file or DATABASE_URL
        },
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout[result.stdout.index("you> /history") :]
    assert "Давраи 1 аз" in out and "Давраи 5 аз" in out
    # the sandbox shows links as "text <url>": an address is no English text
    bot_lines = [
        re.sub(r" <https?://\S+>", "", ln) for ln in out.splitlines() if not ln.startswith("you>")
    ]
    russian_only = [ln for ln in bot_lines if re.search(r"[цщыьЦЩЫЬ]", ln)]
    english = [ln for ln in bot_lines if re.search(r"\b(the|and|of)\b", ln)]
    assert russian_only == [] and english == []
