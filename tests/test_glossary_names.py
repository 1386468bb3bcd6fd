"""Every UN body named in any content text is named as the glossary names it, in that language.

For each body the test knows what a mention looks like (a loose trigger that also catches
wrong forms: «Ассамблеяи Генералии», «КОСММ», «Комиссари Олии»…). Each mention must sit inside
the glossary's form of the name, allowing for what a sentence does to a name: Russian case
endings, the Tajik izofa (-и / -ӣ), the organisation's name left out ("the General Assembly"),
a trailing "in Tajikistan" left out; or it must be the glossary's acronym. A new item that
names a body differently fails here, whoever writes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.content.validation import read_content

CONTENT = read_content()
TERMS = {t.id: t.text for t in CONTENT.terms}

ORG = {"ru": r"ООН", "tg": r"СММ", "en": r"(?:United Nations|UN)"}
ORG_WORDS = {"ru": ("ООН",), "tg": ("СММ",), "en": ("United Nations", "UN")}
LOCATION = {"ru": ("в", "Таджикистане"), "tg": ("дар", "Тоҷикистон"), "en": ("in", "Tajikistan")}
ci = "(?i:{})".format  # a case-insensitive part of a trigger

# term id -> language -> what a mention of that body looks like (right or wrong)
TRIGGERS: dict[str, dict[str, str]] = {
    "general-assembly": {
        "ru": r"Ассамбле[а-яё]*|Генассамбле[а-яё]*",
        "tg": ci(r"ассамбле") + r"\w*|" + ci(r"маҷма\w*\s+умум") + r"\w*",
        "en": ci(r"general\s+assembly"),
    },
    "security-council": {
        "ru": r"Безопасност[а-яё]*|Совбез[а-яё]*",
        "tg": r"Амният\w*|" + ci(r"шӯро\w*\s+амният") + r"\w*",
        "en": ci(r"security\s+council"),
    },
    "secretary-general": {
        "ru": ci(r"генеральн[а-яё]*\s+секретар[а-яё]*|генсек[а-яё]*"),
        "tg": ci(r"дабир\w*\s+кул\w*|дабиркул\w*"),
        "en": ci(r"secretary[- ]general"),
    },
    "unmot": {
        "ru": ci(r"мисси[а-яё]*\s+наблюдател[а-яё]*") + r"|МНООНТ|ЮНМОТ",
        "tg": ci(r"миссия\w*\s+нозир\w*") + r"|ЮНМОТ|МНСММТ",
        "en": ci(r"mission\s+of\s+observers|observer\s+mission") + r"|UNMOT",
    },
    "untop": {
        "ru": ci(r"бюро\s+(?:ООН\s+)?по\s+поддержке\s+[а-яё]+") + r"|ЮНТОП",
        "tg": ci(r"дафтар\w*\s+(?:СММ\s+)?оид\s+ба\s+дастгир\w*\s+сулҳ") + r"\w*|ЮНТОП",
        "en": ci(r"office\s+of\s+peace[- ]?building") + r"|UNTOP",
    },
    "unhcr": {
        "ru": ci(r"управлени[а-яё]*\s+верховн[а-яё]*") + r"|УВКБ(?:\s+ООН)?",
        "tg": ci(r"(?:раёсат|дафтар)\w*\s+комиссар") + r"\w*|КОСММ|КОГСММ|UNHCR",
        "en": ci(r"office\s+of\s+the\s+(?:united\s+nations\s+|un\s+)?high\s+commissioner")
        + r"|UNHCR",
    },
    "high-commissioner-refugees": {
        "ru": ci(r"верховн[а-яё]*\s+комиссар[а-яё]*"),
        "tg": ci(r"комиссар") + r"\w*(?:\s+" + ci(r"олӣ|олии|оли") + r")?",
        "en": ci(r"high\s+commissioner"),
    },
    "unicef": {
        "ru": ci(r"детск[а-яё]*\s+фонд[а-яё]*") + r"|ЮНИСЕФ",
        "tg": ci(r"хазина\w*\s+кӯдакон") + r"\w*|ЮНИСЕФ",
        "en": ci(r"children.s\s+fund") + r"|UNICEF",
    },
    "undp": {
        "ru": r"Программ[а-яё]*\s+развития|ПРООН",
        "tg": r"Барнома\w*\s+рушд\w*|БРСММ",
        "en": ci(r"development\s+programme") + r"|UNDP",
    },
    "wfp": {
        "ru": ci(r"продовольственн[а-яё]*\s+программ[а-яё]*") + r"|ВПП(?:\s+ООН)?",
        "tg": ci(r"барнома\w*\s+ҷаҳон\w*\s+озуқавор") + r"\w*|БҶО(?:\s+СММ)?",
        "en": ci(r"world\s+food\s+program(?:me)?") + r"|WFP",
    },
}


def split_name(glossary: str) -> tuple[str, str | None]:
    """'Детский фонд ООН (ЮНИСЕФ)' -> ('Детский фонд ООН', 'ЮНИСЕФ')."""
    found = re.fullmatch(r"(.*?)\s*\(([^()]+)\)", glossary.strip())
    return (found.group(1), found.group(2)) if found else (glossary.strip(), None)


def word_pattern(lang: str, word: str) -> str:
    """One word of a name, with the endings a sentence may give it."""
    if lang == "ru" and re.fullmatch(r"[А-Яа-яЁё]{4,}", word):
        return re.escape(word[:-2] if len(word) > 6 else word[:-1]) + r"[а-яё]*"
    if lang == "tg" and len(word) > 3 and re.fullmatch(r"\w+", word):
        return re.escape(re.sub(r"(?:ии|ӣ|и)$", "", word)) + r"(?:ии|ӣ|и)?"
    return re.escape(word)


def name_pattern(lang: str, name: str) -> re.Pattern[str]:
    """The glossary name as a regex: the organisation optional, a trailing place optional."""
    for org in ORG_WORDS[lang]:
        name = re.sub(rf"(?<!\w){re.escape(org)}(?!\w)", "\0", name)
    words = name.split()
    optional_tail = []
    if words[-2:] == list(LOCATION[lang]):
        optional_tail = [r"\s+".join(map(re.escape, LOCATION[lang]))]
        words = words[:-2]
    if lang == "en":  # "Secretary-General of the United Nations": "of the UN" may go
        while len(words) > 1 and words[-1] in ("\0", "of", "the"):
            words.pop()
    leading = words[0] == "\0"
    items = [(ORG[lang] if w == "\0" else word_pattern(lang, w), w == "\0") for w in words]
    if leading:
        items = items[1:]
    pattern = rf"(?:{ORG[lang]}\s+)?" if leading else ""
    pattern += items[0][0]
    for part, optional in items[1:]:
        pattern += rf"(?:\s+{part})?" if optional else rf"\s+{part}"
    if not items[-1][1]:  # "the UN Security Council" and "Совет Безопасности ООН" alike
        pattern += rf"(?:\s+{ORG[lang]})?"
    for part in optional_tail:
        pattern += rf"(?:\s+{part})?"
    return re.compile(pattern)


def wrong_names(lang: str, text: str) -> list[str]:
    """Mentions of UN bodies in `text` that are not in the glossary's form for `lang`."""
    wrong = []
    for term_id, triggers in TRIGGERS.items():
        name, acronym = split_name(TERMS[term_id][lang])
        allowed = {acronym, re.sub(rf"\s*{ORG[lang]}$", "", acronym or "")} - {None, ""}
        spans = [m.span() for m in name_pattern(lang, name).finditer(text)]
        for mention in re.finditer(triggers[lang], text):
            if " ".join(mention.group().split()) in allowed:
                continue
            if not any(a <= mention.start() and mention.end() <= b for a, b in spans):
                wrong.append(f"{term_id}: {mention.group()!r}")
    return wrong


def content_texts() -> Iterator[tuple[str, str, str, str]]:
    """(where, lang, text) for every user-visible text in content/, glossary included."""
    for kind, item_id, field, lang, text in CONTENT.texts():
        yield f"{kind} {item_id} {field}", lang, text


def test_every_un_body_is_named_as_in_the_glossary() -> None:
    problems = [
        f"{where}.{lang}: {wrong}"
        for where, lang, text in content_texts()
        for wrong in wrong_names(lang, text)
    ]
    assert problems == []


def test_the_check_covers_many_mentions() -> None:
    """Not vacuous: the triggers really find the bodies the content names."""
    mentions = sum(
        1
        for _, lang, text in content_texts()
        for triggers in TRIGGERS.values()
        for _ in re.finditer(triggers[lang], text)
    )
    assert mentions > 150


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("tg", "Ассамблеяи Генералии СММ қатъномаро қабул кард.", "general-assembly"),
        ("tg", "Маҷмаи умумии СММ қатъномаро қабул кард.", "general-assembly"),
        ("tg", "Дар Тоҷикистон КОСММ аз соли 1993 фаъолият мекунад.", "unhcr"),
        ("tg", "Раёсати Комиссари олии СММ оид ба гурезагон", "unhcr"),
        ("tg", "Комиссари Олии СММ оид ба гурезагон", "high-commissioner-refugees"),
        ("tg", "Дафтари СММ оид ба дастгирии сулҳ дар Тоҷикистон", "untop"),
        ("ru", "Миссия ЮНМОТ открылась в Душанбе.", "unmot"),
        ("ru", "Бюро ООН по поддержке мира в Таджикистане", "untop"),
        ("en", "the UN Observer Mission in Tajikistan", "unmot"),
        ("en", "the Office of Peacebuilding", "untop"),
    ],
)
def test_a_wrong_name_is_reported(lang: str, text: str, expected: str) -> None:
    assert [w for w in wrong_names(lang, text) if w.startswith(expected + ":")]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ru", "Совет рекомендовал Генеральной Ассамблее принять Таджикистан."),
        ("ru", "на базе Миссии наблюдателей ООН было создано Бюро"),
        ("tg", "Шӯро ба Маҷмаи Умумӣ тавсия дод."),
        ("tg", "Дафтари Комиссари олии СММ оид ба гурезагон (UNHCR) ва ЮНИСЕФ"),
        ("en", "the UN Secretary-General’s initiative"),
        ("en", "on the basis of the UN Mission of Observers."),
    ],
)
def test_the_glossary_form_in_a_sentence_passes(lang: str, text: str) -> None:
    assert wrong_names(lang, text) == []
