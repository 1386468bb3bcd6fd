"""Write docs/stats-{ru,tg,en}.png: /stats' 30-day picture after 30 days of generated use.

The real bot runs against the fake Bot API (fakegram.harness) with the shipped content; its
clock moves day by day while simulated users start, read facts, search (some find nothing),
subscribe, and receive a reminder push on some days (a few of them blocked the bot). Staff
then send /stats in each language and the picture the bot sent is saved.

    python -m bench.make_stats_pngs
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fakegram.harness import ChatUser, Harness  # noqa: E402

ADMINS = {"ru": 701, "tg": 702, "en": 703}
WORDS = {"ru": "ледники", "tg": "пиряхҳо", "en": "glaciers"}
MISSES = ("covid vaccine", "visa", "вакансии", "грант", "кор дар СММ")


async def simulate(h: Harness, days: int = 30, seed: int = 7) -> None:
    rng = random.Random(seed)
    zone = h.config.timezone
    today = dt.datetime.now(zone).date()
    users: list[ChatUser] = []
    for n in range(days):
        day = today - dt.timedelta(days=days - 1 - n)
        noon = dt.datetime.combine(day, dt.time(12, 0), zone)
        h.set_now(noon)
        for _ in range(rng.randint(2, 6)):  # newcomers
            user = h.user(language_code=rng.choice(("ru", "ru", "tg", "tg", "en")))
            users.append(user)
            await user.send("/start")
            if rng.random() < 0.5:
                await user.send("/subscribe")
        for user in rng.sample(users, k=min(len(users), rng.randint(4, 14))):
            lang = user.user.language_code or "ru"
            await user.send(rng.choice(("/facts", "/today", "/next", WORDS[lang])))
            if rng.random() < 0.2:
                await user.send(rng.choice(MISSES))
        if n % 3 == 0:  # a push now and then; some recipients have blocked the bot
            for _ in range(rng.randint(0, 2)):
                h.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
            due = int(noon.timestamp())
            await h.services.db.outbox.queue(
                f"demo-{day.isoformat()}",
                "reminders",
                {"ru": "Напоминание", "tg": "Ёдрасӣ", "en": "Reminder"},
                schedule=lambda tz, hour, due=due: (due, None),
            )
            assert h.services.sender is not None
            await h.services.sender.drain(everything=True)
        await h.services.analytics.flush()


def save(sent: Path, path: Path) -> None:
    png = sent.read_bytes()
    width, height = struct.unpack(">II", png[16:24])
    path.write_bytes(png)
    print(f"{path.relative_to(ROOT)}: {width}×{height} px, {len(png) / 1024:.0f} KiB")


async def main() -> None:
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp:
        async with Harness(Path(tmp), admin_ids=frozenset(ADMINS.values())) as h:
            await simulate(h)
            for lang, admin_id in ADMINS.items():
                admin = h.user(language_code=lang, user_id=admin_id)
                replies = await admin.send("/stats")
                photo = next(r for r in replies if r.method == "sendPhoto")
                assert photo.message is not None
                sent = Path(h.api.state.files[photo.message["photo"][-1]["file_id"]])
                save(sent, docs / f"stats-{lang}.png")
            print(replies.last.text)


if __name__ == "__main__":
    asyncio.run(main())
