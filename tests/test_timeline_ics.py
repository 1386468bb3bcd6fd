"""The timeline picture (PNG) and the anniversaries calendar (.ics), in ru, tg and en."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
from itertools import combinations

import pytest
from icalendar import Calendar
from matplotlib.text import Text
from PIL import Image

from bot.content.model import Content, Event, Source
from bot.content.validation import read_content
from bot.i18n import I18n
from bot.ics import build_calendar
from bot.languages import LANGUAGES
from bot.timeline_image import MAX_HEIGHT, WIDTH, _draw, font_covers, render_timeline

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TAJIK_LETTERS = "ғӣқӯҳҷҒӢҚӮҲҶ"


@pytest.fixture(scope="module")
def content() -> Content:
    return read_content()


@pytest.fixture(scope="module")
def i18n() -> I18n:
    return I18n()


@pytest.fixture(scope="module")
def pngs(content: Content, i18n: I18n) -> dict[str, bytes]:
    return {lang: render_timeline(i18n(lang), content) for lang in LANGUAGES}


@pytest.fixture(scope="module")
def drawings(content: Content, i18n: I18n) -> dict:
    return {lang: _draw(i18n(lang), content) for lang in LANGUAGES}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def drawn_texts(drawing) -> list[str]:
    return [text.get_text() for text in drawing.ax.texts]


def day_events(content: Content) -> list[Event]:
    return [e for e in content.events if e.when.precision == "day"]


# -- the timeline picture ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_timeline_is_a_png_of_the_expected_size(pngs: dict[str, bytes], lang: str) -> None:
    data = pngs[lang]
    width, height = png_size(data)
    # portrait, for phones: as wide as a phone photo, as tall as the content needs
    assert width == WIDTH == 1080
    assert 1.5 * width < height <= MAX_HEIGHT
    assert len(data) < 1_000_000
    image = Image.open(io.BytesIO(data))
    assert image.size == (width, height)
    # Not a blank canvas: drawn in many colours.
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 200


def test_timeline_bytes_are_deterministic(content: Content, i18n: I18n, pngs: dict) -> None:
    again = render_timeline(i18n("tg"), content)
    assert again == pngs["tg"]
    assert b"Software" not in again and b"tIME" not in again
    assert len({pngs[lang] for lang in LANGUAGES}) == 3  # the language changes the picture


def test_font_covers_tajik_and_fails_on_missing_glyphs(content: Content) -> None:
    assert font_covers(TAJIK_LETTERS)
    assert font_covers("ғӣқӯҳҷ")
    for period in content.periods:
        assert font_covers(period.title["tg"]), period.title["tg"]
    for event in content.events:
        assert font_covers(event.title["tg"]), event.title["tg"]
    # A character DejaVu Sans has no glyph for: the check can say no.
    assert not font_covers("中")
    assert not font_covers("Тоҷикистон 中")
    assert not font_covers("\U0001f1f9\U0001f1ef")  # the 🇹🇯 flag


def test_every_text_drawn_in_tajik_has_its_glyphs(drawings: dict, content: Content) -> None:
    texts = drawn_texts(drawings["tg"])
    drawn = " ".join(texts)
    assert all(letter in drawn for letter in "ғӣқӯҳҷ")  # Tajik letters really are drawn
    for text in texts:
        assert font_covers(text), text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_period_and_event_is_in_the_picture(
    drawings: dict, content: Content, lang: str
) -> None:
    words = set(" ".join(drawn_texts(drawings[lang])).replace("\u00a0", " ").split())
    for period in content.periods:
        missing = [w for w in period.title[lang].split() if w not in words]
        assert missing == [], (period.id, missing)
    for event in content.events:
        missing = [w for w in event.title[lang].split() if w not in words]
        assert missing == [], (event.id, missing)
    numbers = {t for t in drawn_texts(drawings[lang]) if t.isdigit()}
    assert {str(n) for n in range(1, len(content.events) + 1)} <= numbers


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_overlaps_or_leaves_its_place(drawings: dict, lang: str) -> None:
    drawing = drawings[lang]
    renderer = drawing.canvas.get_renderer()
    boxes = []
    for text in drawing.ax.texts:
        if not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        # to picture coordinates, y down
        height = drawing.height
        boxes.append((text.get_text(), box.x0, height - box.y1, box.x1, height - box.y0))
    assert len(boxes) > 100
    for label, x0, y0, x1, y1 in boxes:
        assert x0 >= 0 and y0 >= 0 and x1 <= WIDTH and y1 <= drawing.height, label
    overlaps = [
        (a[0], b[0])
        for a, b in combinations(boxes, 2)
        if min(a[3], b[3]) - max(a[1], b[1]) > 0.5 and min(a[4], b[4]) - max(a[2], b[2]) > 0.5
    ]
    assert overlaps == []
    # Texts in the band of the columns stay inside their column.
    assert len(drawing.columns) == 5
    top = min(c[1] for c in drawing.columns)
    bottom = max(c[3] for c in drawing.columns)
    inside = [b for b in boxes if b[2] >= top and b[4] <= bottom]
    assert len(inside) > 60
    for label, x0, y0, x1, y1 in inside:
        assert any(
            c[0] <= x0 and x1 <= c[2] and c[1] <= y0 and y1 <= c[3] for c in drawing.columns
        ), label


# -- the calendar ------------------------------------------------------------------------------


REQUIRED = {"VCALENDAR": {"PRODID", "VERSION"}, "VEVENT": {"UID", "DTSTAMP", "DTSTART"}}
PROPERTY = re.compile(r"^([A-Z0-9-]+)((?:;[A-Z0-9-]+=(?:\"[^\"]*\"|[^;:\"]*))*):(.*)$")


def check_ics(data: bytes) -> tuple[list[str], list[dict[str, list[str]]]]:
    """An independent RFC 5545 line-level check: (problems, the VEVENTs' properties).

    CRLF line ends, physical lines of at most 75 octets, well-formed content lines,
    BEGIN/END nesting, and the properties every VCALENDAR and VEVENT must have.
    """
    problems: list[str] = []
    if not data.endswith(b"\r\n"):
        problems.append("does not end with CRLF")
    physical = data.split(b"\r\n")[:-1]
    for number, line in enumerate(physical, start=1):
        if b"\n" in line or b"\r" in line:
            problems.append(f"line {number}: bare CR or LF")
        if len(line) > 75:
            problems.append(f"line {number}: {len(line)} octets, over 75")
    logical: list[str] = []
    for line in physical:
        text = line.decode("utf-8")
        if text[:1] in (" ", "\t"):
            if not logical:
                problems.append("continuation line first")
                continue
            logical[-1] += text[1:]
        else:
            logical.append(text)
    stack: list[tuple[str, dict[str, list[str]]]] = []
    events: list[dict[str, list[str]]] = []
    for text in logical:
        match = PROPERTY.match(text)
        if not match:
            problems.append(f"not a content line: {text[:40]!r}")
            continue
        name, params, value = match.groups()
        if name == "BEGIN":
            stack.append((value, {}))
        elif name == "END":
            if not stack or stack[-1][0] != value:
                problems.append(f"END:{value} does not close {stack[-1][0] if stack else None}")
                continue
            component, props = stack.pop()
            for needed in sorted(REQUIRED.get(component, set()) - props.keys()):
                problems.append(f"{component} without {needed}")
            if component == "VEVENT":
                events.append(props)
        elif not stack:
            problems.append(f"{name} outside any component")
        else:
            stack[-1][1].setdefault(name, []).append(params + ":" + value)
    if stack:
        problems.append(f"unclosed {[c for c, _ in stack]}")
    if not logical or logical[0] != "BEGIN:VCALENDAR" or logical[-1] != "END:VCALENDAR":
        problems.append("not one VCALENDAR")
    return problems, events


def test_the_line_checker_can_fail() -> None:
    good = (
        b"BEGIN:VCALENDAR\r\nPRODID:-//x//EN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        b"DTSTAMP:20250101T000000Z\r\nDTSTART;VALUE=DATE:19920302\r\nSUMMARY:long\r\n"
        b" er\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    problems, events = check_ics(good)
    assert problems == []
    assert events[0]["SUMMARY"] == [":longer"]

    def problems_of(data: bytes) -> str:
        return "\n".join(check_ics(data)[0])

    assert "bare CR or LF" in problems_of(good.replace(b"UID:x\r\n", b"UID:x\n"))
    assert "over 75" in problems_of(good.replace(b"SUMMARY:long", b"SUMMARY:" + b"x" * 70))
    assert "does not close" in problems_of(good.replace(b"END:VEVENT\r\n", b""))
    assert "VCALENDAR without PRODID" in problems_of(good.replace(b"PRODID:-//x//EN\r\n", b""))
    assert "VEVENT without DTSTAMP" in problems_of(
        good.replace(b"DTSTAMP:20250101T000000Z\r\n", b"")
    )
    assert "does not end with CRLF" in problems_of(good.replace(b"\r\n", b"\n"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_calendar_is_valid_and_holds_the_day_precise_events(
    content: Content, i18n: I18n, lang: str
) -> None:
    tr = i18n(lang)
    data = build_calendar(tr, content)
    problems, vevents = check_ics(data)
    assert problems == []

    expected = day_events(content)
    assert len(expected) >= 10
    assert len(vevents) == len(expected)
    for props in vevents:
        assert props["RRULE"] == [":FREQ=YEARLY"]
        assert props["DTSTART"][0].startswith(";VALUE=DATE:")

    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//UN Tajikistan partnership bot//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["X-WR-CALNAME"]) == tr.pgettext(
        "calendar", "UN and Tajikistan: anniversaries"
    )
    parsed = list(calendar.walk("VEVENT"))
    assert len(parsed) == len(expected)
    by_uid = {str(v["UID"]): v for v in parsed}
    assert set(by_uid) == {f"{e.id}@un-tj-bot" for e in expected}
    for event in expected:
        vevent = by_uid[f"{event.id}@un-tj-bot"]
        start = vevent["DTSTART"].dt
        assert type(start) is dt.date
        assert start == event.when.first_day()
        assert vevent["DTEND"].dt == start + dt.timedelta(days=1)
        assert vevent["RRULE"]["FREQ"] == ["YEARLY"]
        assert str(vevent["SUMMARY"]).startswith(event.title[lang])
        assert str(event.when.year) in str(vevent["SUMMARY"])
        assert vevent["DTSTAMP"].dt == dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        description = str(vevent["DESCRIPTION"])
        source = content.source(event.source)
        assert description.startswith(i18n(lang).date(event.when) + "\n\n" + event.text[lang])
        assert source.title[lang] in description
        assert "<" not in description and "&amp;" not in description
        if source.url:
            assert str(vevent["URL"]) == source.url
        else:
            assert "URL" not in vevent


def test_calendar_leaves_out_month_and_year_precise_events(content: Content, i18n: I18n) -> None:
    data = build_calendar(i18n("en"), content).decode()
    vague = [e for e in content.events if e.when.precision != "day"]
    assert {e.when.precision for e in vague} == {"month", "year"}
    for event in vague:
        assert f"UID:{event.id}@un-tj-bot" not in data
        assert event.title["en"] not in data.replace("\r\n ", "")
    # Known examples, so the test does not pass on an empty calendar.
    assert "UID:accession@un-tj-bot" in data
    assert "DTSTART;VALUE=DATE:19920302" in data
    assert "UID:untop-established@un-tj-bot" not in data  # "2000-05"
    assert "UID:un-founded@un-tj-bot" not in data  # "1945"


def test_calendar_summaries_are_in_the_chosen_language(content: Content, i18n: I18n) -> None:
    summaries = {}
    for lang in LANGUAGES:
        calendar = Calendar.from_ical(build_calendar(i18n(lang), content))
        summaries[lang] = {str(v["UID"]): str(v["SUMMARY"]) for v in calendar.walk("VEVENT")}
    accession = "accession@un-tj-bot"
    # an entry that comes back every year says which year it recalls
    assert summaries["ru"][accession] == "Таджикистан стал членом ООН (1992)"
    assert summaries["tg"][accession] == "Тоҷикистон узви СММ шуд (соли 1992)"
    assert summaries["en"][accession] == "Tajikistan became a Member of the United Nations (1992)"
    assert any(re.search("[ғӣқӯҳҷ]", s) for s in summaries["tg"].values())
    assert not any(re.search("[A-Za-z]{4}", s) for s in summaries["ru"].values() if "ООН" in s)


def test_calendar_uids_are_stable_across_languages_and_builds(content: Content, i18n: I18n) -> None:
    def uids(data: bytes) -> list[str]:
        return [str(v["UID"]) for v in Calendar.from_ical(data).walk("VEVENT")]

    builds = {lang: build_calendar(i18n(lang), content) for lang in LANGUAGES}
    assert uids(builds["ru"]) == uids(builds["tg"]) == uids(builds["en"])
    assert len(set(uids(builds["ru"]))) == len(day_events(content))
    for lang in LANGUAGES:
        assert build_calendar(i18n(lang), content) == builds[lang]  # byte for byte
    assert builds["ru"] != builds["tg"]


def test_calendar_29_february_falls_on_the_last_day_of_february(i18n: I18n) -> None:
    texts = {lang: "Leap" for lang in LANGUAGES}
    source = Source("src", texts, url="https://example.org/leap")
    leap = Event("leap-day", "2000-02-29", "un", texts, texts, "src")
    plain = Event("plain-day", "2001-06-05", "un", texts, texts, "src")
    data = build_calendar(i18n("en"), Content({"source": (source,), "event": (leap, plain)}))
    problems, _ = check_ics(data)
    assert problems == []
    vevents = {str(v["UID"]): v for v in Calendar.from_ical(data).walk("VEVENT")}
    rule = vevents["leap-day@un-tj-bot"]["RRULE"]
    assert rule["FREQ"] == ["YEARLY"]
    assert rule["BYMONTH"] == [2] and rule["BYMONTHDAY"] == [-1]
    assert dict(vevents["plain-day@un-tj-bot"]["RRULE"]) == {"FREQ": ["YEARLY"]}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_timeline_type_is_readable_on_a_phone(drawings: dict, lang: str) -> None:
    """A phone shows the picture at its screen's width (~390 pt): text under ~1.7 % of the
    width is under ~7 pt there. The events' own text is over 2 % (about 8–10 pt)."""
    drawing = drawings[lang]
    width = drawing.figure.get_figwidth() * drawing.figure.dpi

    def share(text: Text) -> float:
        return float(text.get_fontsize()) * drawing.figure.dpi / 72 / width

    words = [share(t) for t in drawing.ax.texts if not t.get_text().isdigit()]
    numbers = [share(t) for t in drawing.ax.texts if t.get_text().isdigit()]  # the markers
    assert min(words) >= 0.017 and min(numbers) >= 0.015
    top = min(c[1] for c in drawing.columns)
    bottom = max(c[3] for c in drawing.columns)
    renderer = drawing.canvas.get_renderer()
    in_sections = [
        t.get_fontsize() * drawing.figure.dpi / 72 / width
        for t in drawing.ax.texts
        if top <= drawing.height - t.get_window_extent(renderer).y1 <= bottom
        and t.get_text().strip()
        and not t.get_text().isdigit()
    ]
    assert len(in_sections) > 60 and min(in_sections) >= 0.02
