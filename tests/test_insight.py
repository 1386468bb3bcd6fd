"""Staff insight end to end: ratings, usage figures without who, /stats, /privacy, /forget."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakegram.harness import ChatUser, Harness

ADMIN = 777
USER_ID = 987_654_321  # an id no figure could equal by chance


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path, content_dir=small_content, admin_ids=frozenset({ADMIN})) as h:
        yield h


def labels(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def tables_naming(bot: Harness, user_id: int) -> dict[str, int]:
    """Table → rows with this id in any column (as a number or as text), every table."""
    conn = bot.services.db.conn
    columns: dict[str, list[str]] = {}
    if os.environ.get("DATABASE_URL"):  # PostgreSQL: the catalogue, every value as text
        for table, column in await conn.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        ):
            columns.setdefault(table, []).append(column)
        where, params = '"{column}"::text = ?', (str(user_id),)
    else:
        for (table,) in await conn.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ):
            columns[table] = [r[1] for r in await conn.fetchall(f"PRAGMA table_info({table})")]
        where, params = '"{column}" = ? OR "{column}" = ?', (user_id, str(user_id))
    found: dict[str, int] = {}
    for table, names in columns.items():
        for column in names:
            row = await conn.fetchone(
                f'SELECT count(*) FROM "{table}" WHERE ' + where.format(column=column), params
            )
            if row and row[0]:
                found[table] = found.get(table, 0) + int(row[0])
    return found


def file_sent(bot: Harness, sent: dict, kind: str) -> bytes:
    file_id = sent["photo"][-1]["file_id"] if kind == "photo" else sent["document"]["file_id"]
    return Path(bot.api.state.files[file_id]).read_bytes()


async def test_ratings_toggle_in_place_and_count_once_per_user(bot: Harness) -> None:
    alice = bot.user(language_code="en", user_id=USER_ID)
    shown = (await alice.send("/start event_accession")).last
    assert [b.text for b in shown.buttons[0]] == ["👍", "👎"]
    message = shown.message
    assert message is not None
    key = (alice.chat_id, message["message_id"])

    async def press(label: str) -> list[str]:
        replies = await alice.press(label, message=bot.api.state.messages[key])
        # the buttons change in place: a toast and an edit of the buttons, nothing more
        assert [r.method for r in replies] == ["answerCallbackQuery", "editMessageReplyMarkup"]
        return [r.text for r in replies if r.method == "answerCallbackQuery"]

    def now_shown() -> list[str]:
        return labels(bot.api.state.messages[key])[:2]

    start = bot.api.last_seq
    assert await press("👍") == ["Thank you! Your rating is saved."]
    assert now_shown() == ["✅ 👍", "👎"]
    assert "1992" in bot.api.state.messages[key]["text"]  # the item itself did not change
    assert await press("👍") == ["Your rating is removed."]
    assert now_shown() == ["👍", "👎"]
    await press("👎")
    assert now_shown() == ["👍", "✅ 👎"]
    await press("👍")  # changed her mind: one rating, now 👍
    assert now_shown() == ["✅ 👍", "👎"]
    for _ in range(4):  # pressing 👍 again and again never counts her twice
        await press("👍")
    assert now_shown() == ["✅ 👍", "👎"]
    assert not bot.api.calls("sendMessage", after=start)  # no extra messages, only edits
    bob = bot.user(language_code="ru")
    bob_view = (await bob.send("/start event_accession")).last.message
    assert bob_view is not None
    await bob.press("👎", message=bob_view)
    assert await bot.services.db.analytics.rating_totals() == {"event:accession": (1, 1)}
    admin = bot.user(language_code="en", user_id=ADMIN)
    report = (await admin.send("/stats items")).last.text
    worst = report.split("Worst rated")[1]
    assert "👍 1 · 👎 1" in worst
    # a shown item counts as opened: twice from deep links
    assert "opened 2" in report.split("Least read")[0]


async def test_facts_page_rates_each_fact(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/facts")
    page = await user.press("Refugees")
    assert [b.text for b in page.last.buttons[0]] == ["👍", "👎"]
    await user.press("👎")
    assert await bot.services.db.analytics.rating_totals() == {"fact:refugees-2017": (0, 1)}


async def test_search_with_no_result_is_counted_without_who(bot: Harness) -> None:
    searcher = bot.user(language_code="en", user_id=USER_ID)
    for text in ("Zzqxv nonsense", "zzqxv   NONSENSE"):
        assert "I found nothing" in (await searcher.send(text)).last.text
    other = bot.user(language_code="en")
    await other.send("/search zzqxv nonsense")
    assert "Found for" in (await other.send("Tajikistan")).last.text  # found: not counted
    admin = bot.user(language_code="en", user_id=ADMIN)
    text = (await admin.send("/stats searches")).last.text
    assert "1. “zzqxv nonsense”: 3" in text
    assert "tajikistan" not in text
    rows = await bot.services.db.conn.fetchall(
        "SELECT day, metric, key, value FROM daily_counts WHERE metric = 'search_miss'"
    )
    assert [tuple(r)[1:] for r in rows] == [("search_miss", "zzqxv nonsense", 3)]
    # the searcher's id is in the users table and nowhere else
    assert await tables_naming(bot, USER_ID) == {"users": 1}


async def test_forget_deletes_every_row_and_cancels_queued_pushes(bot: Harness) -> None:
    services = bot.services
    user = bot.user(language_code="tg", user_id=USER_ID)
    stays = bot.user(language_code="en")
    for someone in (user, stays):
        await someone.send("/subscribe")
    await user.press("English", message=(await user.send("/language")).last.message)
    await services.db.changes.update_settings(USER_ID, reminder_hour=7, silent=True)
    await user.press("👍", message=(await user.send("/start event_accession")).last.message)
    later = int(services.clock().timestamp()) + 86_400
    await services.db.outbox.queue(
        "reminder-test",
        "reminders",
        {"ru": "r", "tg": "t", "en": "e"},
        schedule=lambda tz, hour: (later, None),
    )
    before = await tables_naming(bot, USER_ID)
    assert {"users", "settings", "subscriptions", "ratings", "outbox"} <= set(before)

    privacy = (await user.send("/privacy")).last
    assert privacy.text.startswith("What I keep about you, and why")
    assert [b.text for b in privacy.flat_buttons] == ["🏠 Main menu"]  # no dead end
    question = (await user.send("/forget")).last
    assert "This cannot be undone." in question.text
    assert [b.text for b in question.flat_buttons] == ["🗑 Yes, delete everything", "Cancel"]
    kept = (await user.press("Cancel")).last
    assert kept.text == "Nothing was deleted." and kept.flat_buttons[-1].text == "🏠 Main menu"
    assert await tables_naming(bot, USER_ID) == before
    await user.send("/forget")
    done = (await user.press("Yes, delete")).last
    assert done.text.startswith("Done: I have deleted everything I kept about you.")
    assert done.flat_buttons[-1].text == "🏠 Main menu"
    assert await tables_naming(bot, USER_ID) == {}
    # the other subscriber's queued reminder is untouched and still goes out
    start = bot.api.last_seq
    bot.set_now(dt.datetime.fromtimestamp(later + 60, dt.UTC))
    await services.sender.drain(everything=True)
    sent_to = {c.params["chat_id"] for c in bot.api.calls("sendMessage", after=start)}
    assert sent_to == {stays.chat_id}
    # and the bot meets them as a stranger: Telegram's language (Tajik), nothing subscribed
    again = (await user.send("/start")).last.text
    assert again.startswith("Салом")
    assert await services.db.settings.subscriptions(USER_ID) == frozenset()
    assert await tables_naming(bot, USER_ID) == {"users": 1}


async def test_forget_only_in_a_private_chat(bot: Harness) -> None:
    chat = bot.api.group_chat(-100_555)
    member = bot.user(language_code="en", chat=chat)
    reply = (await member.send("/forget")).last
    assert reply.text == "Please send /forget to me in a private chat."
    assert not reply.buttons


async def activity(bot: Harness) -> list[ChatUser]:
    users = [bot.user(language_code=lang) for lang in ("ru", "tg", "en")]
    for user in users:
        await user.send("/start")
        await user.send("/facts")
    await users[0].send("/subscribe")
    await users[1].send("qwzx vbnm")
    return users


async def test_stats_headline_and_picture(bot: Harness) -> None:
    await activity(bot)
    admin = bot.user(language_code="ru", user_id=ADMIN)
    replies = await admin.send("/stats")
    photo = next(r for r in replies if r.method == "sendPhoto")
    assert photo.message is not None
    png = file_sent(bot, photo.message, "photo")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    text = replies.last.text
    assert "Активные пользователи: сегодня 4" in text  # three users and the admin
    assert "Новые пользователи: сегодня 4" in text
    assert "Сегодня: команд 8" in text  # /start ×3, /facts ×3, /subscribe, this /stats
    assert "поисков без результата 1" in text


async def test_stats_export_is_a_csv_of_30_days_that_survives_a_restart(bot: Harness) -> None:
    users = await activity(bot)
    await bot.services.sender.drain(everything=True)
    await bot.restart()  # what was counted is written at stop
    await users[2].send("/help")
    admin = bot.user(language_code="en", user_id=ADMIN)
    replies = await admin.send("/stats export")
    document = replies.last
    assert document.method == "sendDocument"
    assert document.text == "The figures of the last 30 days, one line a day."
    assert document.message is not None
    rows = list(csv.DictReader(io.StringIO(file_sent(bot, document.message, "document").decode())))
    assert len(rows) == 30
    today = rows[-1]
    assert today["date"] == bot.services.today().isoformat()
    assert rows[0]["date"] == (bot.services.today() - dt.timedelta(days=29)).isoformat()
    assert today["commands"] == "9"  # 7 before the restart, /help and /stats export after
    assert today["new_users"] == "4"
    assert today["searches_not_found"] == "1"
    assert today["new_subscriptions_news"] == today["new_subscriptions_reminders"] == "1"
    assert today["subscribers_news"] == "1"
    assert all(r["commands"] == "0" for r in rows[:-1])


async def test_chosen_inline_result_counts_as_an_open(bot: Harness) -> None:
    user = bot.user(language_code="en")
    answer = await user.inline("")
    chosen = answer["results"][0]["id"]
    assert chosen.startswith(("event:", "fact:"))
    await bot.api.wait_done(bot.api.chosen_inline_update(user.user, chosen, ""))
    await bot.api.wait_done(bot.api.chosen_inline_update(user.user, "nothing", "Qwerty Zz"))
    admin = bot.user(language_code="en", user_id=ADMIN)
    items = (await admin.send("/stats items")).last.text
    assert "opened 1" in items.split("Least read")[0]
    assert "“qwerty zz”: 1" in (await admin.send("/stats searches")).last.text


async def test_old_days_are_rolled_up_into_months(bot: Harness) -> None:
    store = bot.services.db.analytics
    today = dt.date(2026, 12, 2)
    await store.add(
        {
            ("2025-01-05", "command", "start"): 3,
            ("2025-01-20", "command", "start"): 4,
            ("2025-11-20", "command", "start"): 5,  # within 400 days: stays a day
        },
        gauge=False,
    )
    await store.add(
        {("2025-01-05", "active_users", ""): 9, ("2025-01-06", "active_users", ""): 7},
        gauge=True,
    )
    assert await store.roll_up(today) == 4
    rows = await bot.services.db.conn.fetchall(
        "SELECT day, metric, key, value FROM daily_counts WHERE day < '2026' ORDER BY day, metric"
    )
    assert [tuple(r) for r in rows] == [
        ("2025-01", "active_users", "", 9),  # a gauge keeps the month's highest
        ("2025-01", "command", "start", 7),  # a counter adds up
        ("2025-11-20", "command", "start", 5),
    ]
