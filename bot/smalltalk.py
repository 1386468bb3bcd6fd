"""Messages that are not queries: a greeting or thanks typed to the bot.

People greet a bot and thank it as they would a person («Привет», «Салом!», "thanks 🙏").
Searched, these found nothing or something odd («салом» found UNICEF through «саломатӣ»);
they get a greeting or a "you're welcome" instead. Only a whole message that is one of the
phrases below counts (written in any script: «salom», «privet»), so a query that merely
contains such a word is still a query.
"""

from __future__ import annotations

from typing import Literal

from bot.search.text import skeleton, tokens

SmallTalk = Literal["greeting", "thanks"]

_GREETINGS = """
    привет | приветствую | здравствуйте | здравствуй | здрасте | добрый день | добрый вечер
    доброе утро | доброй ночи | салют | хай
    салом | ассалом | ассалому алейкум | салом алейкум | ассалому алайкум | салому алейкум
    ассаламу алейкум | салам | салам алейкум | рӯз ба хайр | субҳ ба хайр | шом ба хайр
    hello | hi | hey | hiya | hi there | hello there | greetings | good morning
    good afternoon | good evening | start | старт
"""
_THANKS = """
    спасибо | спасибо большое | большое спасибо | благодарю | спс | огромное спасибо
    ташаккур | ташаккури зиёд | ташаккури калон | раҳмат | раҳмати калон | рахмат
    thanks | thank you | thanks a lot | thank you very much | thank you so much | many thanks
    thx | ty | cheers
"""
# Words that only address the bot: «Привет, бот!», "hi bot".
_ADDRESS = frozenset(skeleton(w) for w in ("бот", "bot", "ботик"))
_EMOJI: dict[str, SmallTalk] = {"👋": "greeting", "🙏": "thanks", "🤝": "thanks"}
# Beside an emoji: its variation selector, skin tones (👋🏽) and punctuation.
_IGNORED = frozenset("\ufe0f!.,)" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400)))


def _key(words: list[str]) -> str:
    return " ".join(s for s in (skeleton(w) for w in words) if s not in _ADDRESS)


def _phrases(text: str, kind: SmallTalk) -> dict[str, SmallTalk]:
    lines = (p.strip() for line in text.strip().splitlines() for p in line.split("|"))
    return {_key(p.split()): kind for p in lines if p}


_PHRASES = {**_phrases(_GREETINGS, "greeting"), **_phrases(_THANKS, "thanks")}


def small_talk(text: str) -> SmallTalk | None:
    """What a whole message means when it is a greeting or thanks, else None."""
    words = tokens(text)
    if not words:
        symbols = {ch for ch in text if not ch.isspace() and ch not in _IGNORED}
        kinds = {_EMOJI.get(ch) for ch in symbols}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    if len(words) > 5:
        return None
    return _PHRASES.get(_key(words))
