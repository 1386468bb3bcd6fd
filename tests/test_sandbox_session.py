"""The sandbox's session in this process, for what a transcript cannot show: the updates
the fake Telegram sends the bot when the user shares an inline result."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from fakegram.harness import Harness
from fakegram.records import FakeUser
from fakegram.sandbox.render import Style
from fakegram.sandbox.session import Session


def _record_updates(harness: Harness) -> list[dict[str, Any]]:
    """Every update the fake sends (it forgets those the bot has confirmed)."""
    sent: list[dict[str, Any]] = []
    add = harness.api.add_update

    def recording(body: dict[str, Any]) -> int:
        sent.append(body)
        return add(body)

    harness.api.add_update = recording  # the fake, not the bot: a record of its updates
    return sent


async def _share_first_result(harness: Harness) -> tuple[Session, str]:
    out = io.StringIO()
    session = Session(harness, FakeUser(1001, "Sandbox", "en"), Style(), out)
    await session.handle("@ glaciers")
    await session.handle("1")
    return session, out.getvalue()


async def test_a_shared_result_is_a_message_via_the_bot(tmp_path: Path) -> None:
    async with Harness(tmp_path) as harness:
        sent = _record_updates(harness)
        _, out = await _share_first_result(harness)
        assert "you (via @un_tj_test_bot)> 📅 2025" in out
        # the bot asks for chosen inline results (usage figures): the sandbox sends one
        assert [next(iter(u)) for u in sent] == ["inline_query", "message", "chosen_inline_result"]
        message = sent[1]["message"]
        assert message["via_bot"]["username"] == harness.api.username
        assert message["reply_markup"]["inline_keyboard"][0][0]["url"].startswith("https://t.me/")


async def test_chosen_inline_result_only_for_a_bot_that_asks_for_it(tmp_path: Path) -> None:
    harness = Harness(tmp_path)
    harness.allowed_updates = (*harness.allowed_updates, "chosen_inline_result")
    async with harness:
        sent = _record_updates(harness)
        await _share_first_result(harness)
        chosen = sent[-1]["chosen_inline_result"]
        assert chosen["query"] == "glaciers" and chosen["result_id"].startswith("event:")
