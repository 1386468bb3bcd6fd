"""Issue 16, item by item, as people meet the bot: their own date and time zone, no dead
ends, nothing half-translated, spans written once. Each test failed before its fix."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.model import CONTENT_DIR
from bot.content.validation import read_content
from bot.dates import PartialDate
from bot.i18n import I18n
from bot.render.common import source_line
from bot.render.html import plain_text
from fakegram.harness import ChatUser, Harness, Reply

ROOT = Path(__file__).resolve().parent.parent
CONTENT = read_content(CONTENT_DIR)
GROUP = -4002
# 20:00 on 1 March in New York is 01:00 on 2 March in UTC and 06:00 in Dushanbe.
NEW_YORK_EVENING = dt.datetime(2027, 3, 2, 1, 0, tzinfo=dt.UTC)


def datas(reply: Reply) -> list[str]:
    return [b.data or "" for b in reply.flat_buttons]


def labels(reply: Reply) -> list[str]:
    return [b.text for b in reply.flat_buttons]


async def choose_zone(user: ChatUser, city: str) -> Reply:
    await user.send("/settings")
    await user.press("🕐")
    return (await user.press(city)).last


# -- time -------------------------------------------------------------------------------------


async def test_today_and_next_count_from_the_chats_own_date(harness: Harness) -> None:
    user = harness.user(language_code="en")
    await choose_zone(user, "New York")
    harness.set_now(NEW_YORK_EVENING)
    today = (await user.send("/today")).last.text
    assert "On this day, 2 March" not in today  # it is still 1 March in New York
    assert "1 March" in today
    assert "tomorrow, 2 March: Tajikistan became a Member of the United Nations — 35 years" in today
    upcoming = (await user.send("/next")).last.text
    assert "1. 🎉 tomorrow, 2 March: Tajikistan became a Member" in upcoming
    # someone in Dushanbe, at the same moment, is on 2 March
    dushanbe = harness.user(language_code="en")
    assert "On this day, 2 March" in (await dushanbe.send("/today")).last.text


async def test_time_zone_menu_names_cities_with_their_offset_and_has_a_way_back(
    harness: Harness,
) -> None:
    harness.set_now(dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC))  # winter: no summer time
    expected = {
        "ru": [
            "Душанбе (UTC+5)",
            "Москва (UTC+3)",
            "Екатеринбург (UTC+5)",
            "Новосибирск (UTC+7)",
            "Ташкент (UTC+5)",
            "Бишкек (UTC+6)",
            "Стамбул (UTC+3)",
            "Дубай (UTC+4)",
            "Берлин (UTC+1)",
            "Лондон (UTC)",
            "Нью-Йорк (UTC−5)",
            "Лос-Анджелес (UTC−8)",
            "Сеул (UTC+9)",
            "Алматы",
        ],
        "tg": [
            "Душанбе (UTC+5)",
            "Москва (UTC+3)",
            "Тошкент (UTC+5)",
            "Ню-Йорк (UTC−5)",
            "Лос-Анҷелес (UTC−8)",
            "Истанбул (UTC+3)",
        ],
        "en": [
            "Dushanbe (UTC+5)",
            "Moscow (UTC+3)",
            "Yekaterinburg (UTC+5)",
            "Almaty",
            "Bishkek (UTC+6)",
            "London (UTC)",
            "New York (UTC−5)",
            "Los Angeles (UTC−8)",
            "Seoul (UTC+9)",
            "Dubai (UTC+4)",
            "Berlin (UTC+1)",
            "Novosibirsk (UTC+7)",
        ],
    }
    for lang, cities in expected.items():
        user = harness.user(language_code=lang)
        await user.send("/settings")
        menu = (await user.press("🕐")).last
        shown = labels(menu)
        for city in cities:
            assert any(city in label for label in shown), (lang, city, shown)
        assert not any("/" in label for label in shown)  # no raw codes
        assert all(len(row) <= 2 for row in menu.buttons)  # fits a phone
        assert "cmd:start" in datas(menu)
        assert "Dushanbe" not in menu.text or lang == "en"
        back = (await user.press(data="set:show:0", message=menu.message)).last
        assert back.method == "editMessageText" and "🕐" in " ".join(labels(back))
    en = harness.user(language_code="en")
    chosen = await choose_zone(en, "Yekaterinburg")
    assert "Reminder time: 09:00, Yekaterinburg (UTC+5)" in chosen.text
    assert "🕐 Time zone: Yekaterinburg (UTC+5)" in labels(chosen)


async def test_any_reminder_hour_is_one_tap_and_no_button_is_dead(harness: Harness) -> None:
    user = harness.user(language_code="en")
    settings = (await user.send("/settings")).last
    assert "Reminder time: 09:00" in settings.text
    hours = [b for b in settings.flat_buttons if b.data and b.data.startswith("set:hour:")]
    assert len(hours) == 24
    edited = (await user.press("20")).last  # 09 → 20: one tap
    assert "Reminder time: 20:00" in edited.text and "✅20" in labels(edited)
    same = (await user.press("✅20")).last  # the current hour says so, it is not dead
    assert same.method == "answerCallbackQuery" and "20:00" in same.text


# -- dead ends and next steps -------------------------------------------------------------


async def test_topic_agency_history_and_other_screens_lead_home(harness: Harness) -> None:
    user = harness.user(language_code="en")
    for command in (
        "/facts",
        "/agencies",
        "/history",
        "/contacts",
        "/about",
        "/help",
        "/next",
        "/today",
        "/settings",
        "/language",
        "/timeline",
        "/calendar",
        "/nonsense",
    ):
        reply = (await user.send(command)).last
        assert "cmd:start" in datas(reply), command
    home = (await user.press("🏠 Main menu")).last
    assert home.text.startswith("Hello, Test!") and "cmd:facts" in datas(home)


async def test_today_and_next_open_events_and_offer_to_subscribe(harness: Harness) -> None:
    harness.set_now(dt.datetime(2027, 2, 20, 6, 0, tzinfo=dt.UTC))
    user = harness.user(language_code="en")
    upcoming = (await user.send("/next")).last
    assert "🔔 Subscribe to reminders and news" in labels(upcoming)
    numbers = [b for b in upcoming.flat_buttons if b.data and b.data.startswith("ann:")]
    assert [b.text for b in numbers] == [str(n) for n in range(1, len(numbers) + 1)]
    first_title = upcoming.text.split("\n")[2].split(": ", 1)[1].rsplit(" — ", 1)[0]
    opened = (await user.press("1")).last
    assert first_title in opened.text and "Source:" in opened.text
    today = (await user.send("/today")).last
    assert "📖 Read about it" in labels(today)
    subscribed = (await user.press("🔔 Subscribe to reminders and news")).last
    assert subscribed.text.startswith("Done! I will send you anniversary reminders")
    assert "⚙️ Reminder settings" in labels((await user.send("/next")).last)


async def test_unsubscribe_when_never_subscribed_says_so_and_offers_it(harness: Harness) -> None:
    user = harness.user(language_code="en")
    reply = (await user.send("/unsubscribe")).last
    assert "You are unsubscribed" not in reply.text
    assert reply.text.startswith("You are not subscribed")
    done = (await user.press("🔔 Subscribe")).last
    assert done.text.startswith("Done!")
    again = (await user.send("/unsubscribe")).last
    assert again.text.startswith("You are unsubscribed") and "🔔 Subscribe again" in labels(again)
    ru = harness.user(language_code="ru")
    assert (await ru.send("/stop")).last.text.startswith("Вы не подписаны")


async def test_in_a_group_the_bot_speaks_of_the_group_and_hides_what_members_cannot_do(
    harness: Harness,
) -> None:
    admin = harness.user(language_code="en", chat=harness.api.group_chat(GROUP))
    member = harness.user(language_code="en", chat=harness.api.group_chat(GROUP))
    harness.api.state.members[(GROUP, admin.user.id)] = "administrator"
    reply = (await admin.send("/subscribe")).last
    assert "send you" not in reply.text and "Your settings" not in reply.text
    assert reply.text.startswith("Done! I will send this group anniversary reminders and news.")
    assert "The group's settings" in reply.text
    assert (await admin.send("/subscribe")).last.text.startswith("This group is already")
    for command in ("/today", "/next"):
        shown = datas((await member.send(command)).last)
        assert "cmd:subscribe" not in shown and "cmd:settings" not in shown, command
    language = (await member.send("/language")).last
    assert not any(d.startswith("lang:") for d in datas(language))
    assert language.text == "Only the group's admins can change its language."
    assert any(d.startswith("lang:") for d in datas((await admin.send("/language")).last))
    shared = (await member.send("/start event_accession")).last  # a shared link, in the group
    assert "Tajikistan became a Member" in shared.text
    assert not any(d.startswith("lang:") for d in datas(shared))


async def test_each_history_page_cites_exactly_the_sources_it_shows(harness: Harness) -> None:
    user = harness.user(language_code="en")
    tr = I18n()("en")
    page = (await user.send("/history")).last
    seen_pages = 0
    while True:
        seen_pages += 1
        titles = re.findall(r"📅 .+? — (.+)", page.text)
        events = [e for e in CONTENT.events if e.title["en"] in titles]
        assert len(events) == len(titles), titles
        expected = {plain_text(source_line(tr, CONTENT.source(e.source))) for e in events}
        cited = {line for line in page.text.split("\n") if line.startswith("Source: ")}
        assert cited == expected, page.text[:60]
        assert "Sources:" not in page.text
        later = [b for b in page.flat_buttons if "Later in this period" in b.text]
        onward = [b for b in page.flat_buttons if b.text.endswith("▶️")]
        step = later or onward
        if not step:
            break
        page = (await user.press(data=step[0].data, message=page.message)).last
    assert seen_pages >= 7


# -- text ------------------------------------------------------------------------------------


async def test_no_doubled_full_stop_after_a_date(harness: Harness) -> None:
    user = harness.user(language_code="ru")
    listing = (await user.send("/agencies")).last
    profile = (await user.press(listing.flat_buttons[0].text)).last
    assert "Работает в Таджикистане с 1993 г.\n" in profile.text
    assert "г.." not in profile.text


async def test_no_nested_quotes_around_titles(harness: Harness) -> None:
    harness.set_now(dt.datetime(2026, 12, 15, 6, 0, tzinfo=dt.UTC))
    for lang, fragment in (
        ("ru", "ООН провозгласила Десятилетие действий «Вода для устойчивого развития» — 10 лет"),
        ("en", "Decade for Action “Water for Sustainable Development” — 10 years"),
    ):
        user = harness.user(language_code=lang)
        text = (await user.send("/next")).last.text
        assert fragment in text, text
        assert "»»" not in text and "””" not in text


async def test_spans_are_written_once_in_messages_and_inline_results(harness: Harness) -> None:
    expected = {
        "ru": ("22–24 марта 2023 г.", "2005–2015 гг."),
        "tg": ("22–24 марти соли 2023", "солҳои 2005–2015"),
        "en": ("22–24 March 2023", "2005–2015"),
    }
    for lang, spans in expected.items():
        user = harness.user(language_code=lang)
        texts = []
        page = (await user.send("/history")).last
        for _ in range(30):
            texts.append(page.text)
            step = [b for b in page.flat_buttons if b.data and b.data.startswith("hist:")]
            step = [b for b in step if "⬇️" in b.text or b.text.endswith("▶️")]
            if not step:
                break
            page = (await user.press(data=step[0].data, message=page.message)).last
        everything = "\n".join(texts)
        for span in spans:
            assert span in everything, (lang, span)
        assert "2023 г. – 24 марта" not in everything and "2005 г. – 2015" not in everything
        answer = await user.inline("2023")
        titles = [r["title"] for r in answer["results"]]
        assert any(spans[0] in t for t in titles), titles


async def test_tajik_dates_read_as_the_content_writes_them(harness: Harness) -> None:
    harness.set_now(dt.datetime(2027, 3, 2, 6, 0, tzinfo=dt.UTC))
    user = harness.user(language_code="tg")
    today = (await user.send("/today")).last.text
    assert "2 марти соли 1992" in today
    tr = I18n()("tg")
    assert tr.date(PartialDate.parse("1997-06")) == "моҳи июни соли 1997"


# -- operations -------------------------------------------------------------------------------


async def test_descriptions_are_set_in_each_language(harness: Harness) -> None:
    descriptions = harness.api.state.descriptions
    short = harness.api.state.short_descriptions
    assert set(descriptions) == set(short) == {"", "ru", "tg", "en"}
    assert descriptions[""] == descriptions["ru"] and "ООН" in descriptions["ru"]
    assert "СММ" in descriptions["tg"] and "Tajikistan" in descriptions["en"]
    assert all(0 < len(text) <= 120 for text in short.values())
    assert all(0 < len(text) <= 512 for text in descriptions.values())


@pytest.mark.sqlite_only  # a missing database file
def test_health_names_the_database_and_reports_what_an_operator_needs(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "health"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "DATABASE_PATH": str(missing), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert str(missing) in report["problems"][0] and report["database"] == str(missing)
