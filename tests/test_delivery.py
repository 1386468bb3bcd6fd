"""Subscriptions, reminders and the outbox, end to end with a controllable clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.reminders import queue_reminders
from fakegram.harness import Harness
from fakegram.records import Call

UTC = dt.UTC
# 2 March 2027, 08:00 in Dushanbe (UTC+5): an hour before the default reminder time
MORNING = dt.datetime(2027, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
async def bot(tmp_path: Path, small_content: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, content_dir=small_content)
    h.set_now(MORNING)
    async with h:
        yield h


def sent_to(bot: Harness, chat_id: int, after: int = 0) -> list[Call]:
    return [
        c
        for c in bot.api.calls("sendMessage", after=after)
        if c.params["chat_id"] == chat_id and c.error is None
    ]


async def until_sent(bot: Harness, chat_id: int, after: int = 0) -> Call:
    return await bot.api.wait_for_call(
        lambda c: (
            c.method == "sendMessage" and c.params.get("chat_id") == chat_id and c.error is None
        ),
        after=after,
    )


async def test_subscribe_and_settings_edit_in_place(bot: Harness) -> None:
    user = bot.user(language_code="en")
    reply = (await user.send("/subscribe")).last
    assert reply.text.startswith("Done! I will send you anniversary reminders and news.")
    assert (
        "Anniversary reminders: on" in reply.text
        and "Reminder time: 09:00, Dushanbe (UTC+5)" in reply.text
    )
    edited = (await user.press("10")).last
    assert edited.method == "editMessageText" and "Reminder time: 10:00" in edited.text
    edited = (await user.press("News")).last
    assert "News: off" in edited.text and "⬜ News" in [b.text for b in edited.flat_buttons]
    edited = (await user.press("Silent delivery")).last
    assert "Silent delivery: on" in edited.text
    edited = (await user.press("Русский")).last
    assert "Время напоминаний: 10:00" in edited.text
    assert (await user.send("/subscribe")).last.text.startswith("Готово!")  # news back on
    assert (await user.send("/subscribe")).last.text.startswith(
        "Вы уже подписаны на напоминания и новости"
    )
    settings = await bot.services.db.settings.get_settings(user.user.id)
    assert (settings.reminder_hour, settings.silent) == (10, True)
    assert (await user.press(data="set:hour:99")).last.alert


async def test_reminder_arrives_at_each_users_hour_in_their_language(bot: Harness) -> None:
    ru = bot.user(language_code="ru")
    tg = bot.user(language_code="tg")
    await ru.send("/subscribe")
    await tg.send("/subscribe")
    await tg.press("10")  # the Tajik user wants reminders at 10:00
    start = bot.api.last_seq
    await queue_reminders(bot.services)
    await bot.services.sender.drain()
    assert sent_to(bot, ru.chat_id, start) == []  # 08:00: too early for anybody
    bot.set_now(dt.datetime(2027, 3, 2, 4, 0, 1, tzinfo=UTC))  # 09:00 in Dushanbe
    call = await until_sent(bot, ru.chat_id, start)
    assert "В этот день 35 лет назад: Таджикистан стал членом ООН" in call.result["text"]
    assert "Источник: Сотрудничество Таджикистана и ООН" in call.result["text"]
    await bot.services.sender.drain()
    assert sent_to(bot, tg.chat_id, start) == []  # the Tajik user's hour has not come
    bot.set_now(dt.datetime(2027, 3, 2, 5, 0, 1, tzinfo=UTC))
    call = await until_sent(bot, tg.chat_id, start)
    assert "Дар ҳамин рӯз, 35 сол пеш: Тоҷикистон узви СММ шуд" in call.result["text"]
    assert call.params.get("disable_notification") in (None, False)


async def test_silent_setting_sets_disable_notification(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/subscribe")
    await user.press("Silent delivery")
    start = bot.api.last_seq
    bot.set_now(dt.datetime(2027, 3, 2, 4, 30, tzinfo=UTC))
    await queue_reminders(bot.services)
    call = await until_sent(bot, user.chat_id, start)
    assert call.params["disable_notification"] is True
    assert (
        "Today, 35 years ago: Tajikistan became a member of the United Nations"
        in call.result["text"]
    )


async def test_catch_up_after_downtime_without_duplicates(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/subscribe")
    start = bot.api.last_seq
    await bot.stop_bot()  # down over the reminder hour
    bot.set_now(dt.datetime(2027, 3, 2, 8, 0, tzinfo=UTC))  # 13:00 in Dushanbe
    await bot.start_bot()  # the start-up run catches up
    await until_sent(bot, user.chat_id, start)
    await queue_reminders(bot.services)  # the daily job again: nothing new
    await bot.restart()
    await queue_reminders(bot.services)
    await bot.services.sender.drain()
    reminders = [c for c in sent_to(bot, user.chat_id, start) if "35 years ago" in c.params["text"]]
    assert len(reminders) == 1


async def test_round_anniversary_notice_a_week_ahead(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/subscribe")
    start = bot.api.last_seq
    bot.set_now(dt.datetime(2026, 12, 25, 5, 0, tzinfo=UTC))  # a week before 1 January 2027
    await queue_reminders(bot.services)
    call = await until_sent(bot, user.chat_id, start)
    assert call.params["text"].startswith("🎉 <b>In a week, on 1 January: The name")
    assert "— 85 years</b>" in call.params["text"]


async def test_month_digest_on_the_first_and_none_for_year_precise(bot: Harness) -> None:
    user = bot.user(language_code="ru")
    await user.send("/subscribe")
    start = bot.api.last_seq
    bot.set_now(dt.datetime(2027, 5, 1, 5, 0, tzinfo=UTC))
    queued = await queue_reminders(bot.services)
    assert [q.key for q in queued] == ["digest:2027-05"]
    call = await until_sent(bot, user.chat_id, start)
    assert "В этом месяце в истории партнерства" in call.result["text"]
    assert "май 2000 г. (27 лет назад) — Работа ЮНТОП" in call.result["text"]
    # The UN's founding is known only to the year: no day of any year reminds of it.
    day = dt.date(2027, 1, 1)
    from bot.reminders import queue_day

    services = bot.services
    while day.year == 2027:
        for q in await queue_day(
            services.db, services.i18n, services.content.current, day, services.config.timezone
        ):
            assert "un-founded" not in q.key
        day += dt.timedelta(days=1)


async def test_unsubscribe_cancels_pending_and_stop_is_an_alias(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/subscribe")
    await queue_reminders(bot.services)
    assert (await bot.services.db.outbox.counts())["pending"] == 1
    assert "You are unsubscribed" in (await user.send("/stop")).last.text
    counts = await bot.services.db.outbox.counts()
    assert counts["pending"] == 0 and counts["cancelled"] == 1


async def test_blocking_the_bot_stops_pushes_at_once(bot: Harness) -> None:
    user = bot.user(language_code="en")
    await user.send("/subscribe")
    await queue_reminders(bot.services)
    update_id = bot.api.member_update(user.user, user.chat, "member", "kicked")
    await bot.api.wait_done(update_id)
    assert (await bot.services.db.chats.get_user(user.user.id)).blocked  # type: ignore[union-attr]
    assert (await bot.services.db.outbox.counts())["cancelled"] == 1
    await user.send("/start")  # writing again means unblocked
    assert not (await bot.services.db.chats.get_user(user.user.id)).blocked  # type: ignore[union-attr]
