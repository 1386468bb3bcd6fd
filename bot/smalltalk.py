"""Messages that are not queries: a greeting or thanks typed to the bot.

People greet a bot and thank it as they would a person («Привет всем», «Салом!», "ok thanks
🙏"). Searched, these found nothing or something odd («салом» found UNICEF through
«саломатӣ», "ok thanks" was corrected to "ok thans" and found "more than"); they get a
greeting or a "you're welcome" instead. A message counts when, without the words that only
address someone or fill in (всем, ба шумо, for the info), it is one of the phrases below,
as typed or as its transliteration (salom = салом). A phrase written in Latin letters
matches only Latin text: "ty" is thanks, «ты» is not. A query that merely contains such a
word («спасибо ООН за помощь») is still a query.
"""

from __future__ import annotations

from typing import Literal

from bot.search.text import is_cyrillic, skeleton, tokens

SmallTalk = Literal["greeting", "thanks"]

_GREETINGS = """
    привет | приветик | превет | приветствую | здравствуйте | здраствуйте | здравствуй
    здрасте | здрасьте | добрый день | добрый вечер | доброе утро | доброго дня | доброй ночи
    салют | как дела | привет как дела
    салом | ассалом | ассалому алейкум | ассалом алейкум | ассаломуалейкум | салом алейкум
    ассалому алайкум | салому алейкум | ассаламу алейкум | ассаляму алейкум | салам
    салам алейкум | рӯз ба хайр | субҳ ба хайр | шом ба хайр | салом чӣ хел | чӣ хел
    hello | hi | hey | hiya | greetings | good morning | good afternoon | good evening
    how are you | start | старт
"""
_THANKS = """
    спасибо | спосибо | спасибки | благодарю | спс
    ташаккур | ташакур | ташаккури зиёд | ташаккури калон | раҳмат | рахмат | раҳмати калон
    раҳмат калон | сипос | сипосгузорам | ташаккур ба шумо
    thanks | thank you | thank u | thank | thx | tnx | ty | many thanks | cheers
"""
# Words that only address someone or fill in: «Привет, бот!», «привет всем», «спасибо
# большое за информацию», «ок, спасибо», «Салом дӯстон», «ташаккур ба шумо», "hello
# everyone", "hey there", "ok thanks a lot for the info".
_FILLERS = """
    бот ботик всем все друзья вам тебе большое огромное за информацию помощь ответ ок окей
    понятно ясно хорошо дӯстон шумо ту ба барои маълумот ёрӣ зиёд калон хуб
    bot all everyone there you so much very a lot for the info help ok okay
"""
_EMOJI: dict[str, SmallTalk] = {"👋": "greeting", "🙏": "thanks", "🤝": "thanks", "👍": "thanks"}
# Beside an emoji: its variation selector, skin tones (👋🏽) and punctuation.
_IGNORED = frozenset("\ufe0f!.,)(" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400)))


def _key(words: list[str]) -> str:
    return " ".join(skeleton(w) for w in words)


def _phrases(text: str, kind: SmallTalk) -> dict[tuple[str, bool], SmallTalk]:
    """(skeleton, written in Cyrillic) → kind, for each phrase of `text`."""
    phrases = (p.split() for line in text.strip().splitlines() for p in line.split("|"))
    return {(_key(p), is_cyrillic(p[0])): kind for p in phrases if p}


_PHRASES = {**_phrases(_GREETINGS, "greeting"), **_phrases(_THANKS, "thanks")}
_FILLER_SKELETONS = frozenset(skeleton(w) for w in _FILLERS.split())


def small_talk(text: str) -> SmallTalk | None:
    """What a whole message means when it is a greeting or thanks, else None."""
    words = tokens(text)
    if not words:
        symbols = {ch for ch in text if not ch.isspace() and ch not in _IGNORED}
        kinds = {_EMOJI.get(ch) for ch in symbols}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    if len(words) > 6:
        return None
    meant = [w for w in words if skeleton(w) not in _FILLER_SKELETONS]
    return _phrase(words) or (_phrase(meant) if 0 < len(meant) <= 3 else None)


def _phrase(words: list[str]) -> SmallTalk | None:
    # A Cyrillic phrase also matches its transliteration (salom); a Latin one only Latin.
    key, cyrillic = _key(words), is_cyrillic(words[0])
    return _PHRASES.get((key, cyrillic)) or (None if cyrillic else _PHRASES.get((key, True)))
