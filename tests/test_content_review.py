"""Issue 22, the content review: each correction held, so a wrong fact or word cannot come back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.content.validation import read_content
from fakegram.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
CONTENT = read_content()


def texts(lang: str) -> list[tuple[str, str]]:
    """(where, text) of every user-visible content text in `lang`, glossary included."""
    return [
        (f"{kind} {item_id} {field}", text)
        for kind, item_id, field, text_lang, text in CONTENT.texts()
        if text_lang == lang
    ]


def containing(lang: str, pattern: str) -> list[str]:
    return [where for where, text in texts(lang) if re.search(pattern, text)]


def item(kind: str, item_id: str) -> Any:  # an Event, Fact, Agency, Term or Source
    found = CONTENT.get(kind, item_id)
    assert found is not None, f"{kind} {item_id} is missing"
    return found


def msgstr(lang: str, context: str, msgid: str) -> str | tuple[str, ...]:
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        message = read_po(fp, locale=lang).get(msgid, context=context)
    assert message is not None, (lang, context, msgid)
    return message.string


# -- wrong facts ----------------------------------------------------------------------------

COUNTS = {
    "en": r"\b(?:one|two|three|five|six|seven|\d+)\s+(?:main\s+|strategic\s+)?priorities",
    "ru": r"(?i)\b(?:один|два|три|пять|шесть|семь|\d+)\s+(?:\w+\s+)?приоритет",
    "tg": r"(?i)(?<!\w)(?:як|ду|се|панҷ|шаш|ҳафт|\d+)\s+самт\w*\s+(?:и\s+)?афзалият",
}


@pytest.mark.parametrize("lang", ["ru", "tg", "en"])
def test_no_count_of_framework_priorities_but_four(lang: str) -> None:
    assert containing(lang, COUNTS[lang]) == []


def test_the_framework_priorities_are_four_with_governance_and_rule_of_law_as_one() -> None:
    text = item("fact", "cf-priorities").text
    for lang in ("ru", "tg", "en"):
        listed = text[lang].split(":", 1)[1] if lang != "en" else text[lang].split(" are ", 1)[1]
        assert len(listed.split(";")) == 4, (lang, listed)
    assert "people-centred governance and the rule of law" in text["en"]


def test_2013_was_declared_the_year_of_water_cooperation_2012_was_a_proposal() -> None:
    fact = item("fact", "water-diplomacy-year-2012")
    event = item("event", "water-cooperation-year-2013")
    for lang in ("ru", "tg", "en"):
        assert "65/154" in fact.text[lang] and "2013" in fact.text[lang]
        assert "2012" in event.text[lang]  # the event says what the seed says
    assert "proposal" in fact.text["en"] and "предложение" in fact.text["ru"]
    assert "пешниҳод" in fact.text["tg"]
    assert "See also" in fact.text["en"] and "См. также" in fact.text["ru"]
    assert "Инчунин нигаред" in fact.text["tg"]
    assert event.source == "unga-res-65-154"


def test_the_security_council_recommended_the_general_assembly_admitted() -> None:
    event = item("event", "security-council-1992")
    assert str(event.when) == "1992-01-29" and event.source == "unsc-res-738"
    assert "recommended" in event.title["en"] and "recommending" in event.text["en"]
    assert "рекомендовал" in event.title["ru"] and "рекомендовал" in event.text["ru"]
    assert "тавсия" in event.title["tg"] and "тавсия" in event.text["tg"]
    for lang in ("ru", "tg", "en"):
        assert "2 мар" in event.text[lang] or "2 March" in event.text[lang]
    # the old wording: the Council "adopted a resolution on admitting" Tajikistan
    assert containing("en", r"Council adopted a resolution on admitting") == []
    assert containing("ru", r"Совет Безопасности ООН принял резолюцию о приеме") == []
    charter = item("fact", "admission-procedure")
    assert charter.source == "un-charter-chapter-2" and "Article 4(2)" in charter.text["en"]


def test_unmot_mandate_is_its_own_event_and_the_1993_office_is_told_once() -> None:
    mandate = item("event", "unmot-established")
    assert str(mandate.when) == "1994-12-16" and mandate.source == "unsc-res-968"
    assert all("968" in mandate.text[lang] for lang in ("ru", "tg", "en"))
    assert CONTENT.get("event", "un-office-dushanbe") is None
    office = [e for e in CONTENT.events if e.when.year == 1993 and "office" in e.text["en"]]
    assert [e.id for e in office] == ["unmot-opened"]
    opened = office[0]
    assert opened.text["en"].startswith("According to")
    assert opened.text["ru"].startswith("По данным") and opened.text["tg"].startswith("Тибқи")
    assert all("968" in opened.text[lang] for lang in ("ru", "tg", "en"))  # the link
    term = item("term", "unmot")
    assert term.source == "unsc-res-968" and term.text["tg"].endswith("(ЮНМОТ)")


# -- caveats and precision ------------------------------------------------------------------


@pytest.mark.parametrize("agency_id", ["unhcr", "unicef"])
def test_agency_areas_are_as_of_2017(agency_id: str) -> None:
    profile = item("agency", agency_id).profile
    assert "As of 2017" in profile["en"] and "Currently" not in profile["en"]
    assert "По данным на 2017 год" in profile["ru"]
    assert "Тибқи маълумоти соли 2017" in profile["tg"]
    areas = {"en": r"As of 2017, \w+ worked", "ru": r"2017 год, вместе", "tg": r"2017, \w+ якҷоя"}
    for lang, pattern in areas.items():
        assert re.search(pattern, profile[lang]), (lang, profile[lang])


def test_early_warnings_launched_2022_implemented_in_tajikistan_2023() -> None:
    launched = item("event", "early-warnings-launched")
    assert str(launched.when) == "2022-03" and launched.source == "early-warnings"
    here = item("event", "early-warnings-2023")
    assert "Implementation" in here.title["en"] and "начала" in here.title["ru"]
    assert "татбиқ" in here.title["tg"]
    assert all("2022" in here.text[lang] for lang in ("ru", "tg", "en"))
    assert "началась реализация" in here.text["ru"]


def test_the_netherlands_co_hosted_new_york_2023_not_dushanbe_2022() -> None:
    text = item("fact", "water-conferences").text
    for lang, netherlands in (("en", "Netherlands"), ("ru", "Нидерланд"), ("tg", "Нидерланд")):
        assert text[lang].index("2023") < text[lang].index(netherlands), lang


def test_the_glacier_resolution_provides_for_a_trust_fund() -> None:
    wording = {"ru": "целев", "tg": "хазинаи мақсаднок", "en": "trust fund"}
    for kind, item_id in (
        ("event", "glaciers-resolution-2022"),
        ("event", "glaciers-year-2025"),
        ("fact", "glaciers-resolution"),
    ):
        for lang, word in wording.items():
            assert word in item(kind, item_id).text[lang], (item_id, lang)
    term = item("term", "glacier-protection-fund").text
    assert term["ru"].startswith("целевой фонд") and term["tg"].startswith("хазинаи мақсаднок")
    assert term["en"].startswith("trust fund")


def test_seed_000_has_its_documents_title() -> None:
    title = item("source", "seed-000").title
    assert title["en"] == "Joint Communique: UNHCR and UNICEF Enhance Cooperation in Tajikistan"
    assert "надежный" not in title["ru"].lower() and "боэътимод" not in title["tg"]


# -- Tajik names of UN bodies, and Tajik wording -----------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [
        "Ассамблеяи Генералӣ",
        "Ассамблеяи Генералии",
        "КОСММ",
        "Раёсати Комиссари",
        "Комиссари Олии",
        "Ёддошти глобалӣ",
        "Ёддошти глобалии",
        "созмонҳои махсусгардонидашуда",
        "шумораи бештарини",
        "ӯҳдадории Ҳукуматро ба ҳуқуқи инсон",
        r"дастгирии сулҳ(?!созӣ)",
    ],
)
def test_no_tajik_text_has(wrong: str) -> None:
    assert containing("tg", wrong) == []


def test_tajik_names_of_the_assembly_unhcr_untop() -> None:
    terms = {t.id: t.text["tg"] for t in CONTENT.terms}
    assert terms["general-assembly"] == "Маҷмаи Умумии СММ"
    assert terms["unhcr"] == "Дафтари Комиссари олии СММ оид ба гурезагон (UNHCR)"
    assert terms["untop"] == "Дафтари СММ оид ба дастгирии сулҳсозӣ дар Тоҷикистон (ЮНТОП)"
    assert item("agency", "unhcr").acronym["tg"] == "UNHCR"
    assert "оид ба таҳкими ҳуқуқи инсон" in item("event", "first-sdg-report-2018").text["tg"]


def test_tajik_interface_words() -> None:
    assert msgstr("tg", "main menu", "📇 Contacts") == "📇 Тамосҳо"
    catalog = (ROOT / "locales/tg/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert "хомӯш" not in catalog and "манъ кардаанд" not in catalog
    assert "ботро бастаанд {blocked}" in catalog
    assert msgstr("tg", "post", "⚡ Switch paid broadcast").startswith("⚡ Фаъол/ғайрифаъол")


async def test_the_tajik_menu_says_contacts_in_the_plural(harness: Harness) -> None:
    menu = (await harness.user(language_code="tg").send("/start")).last
    assert "📇 Тамосҳо" in [b.text for b in menu.flat_buttons]


# -- Russian ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong",
    [r"(?i)старт", r"(?i)агентств", "защищающ", "перемещенным людям", "переезд"],
)
def test_no_russian_text_has(wrong: str) -> None:
    assert containing("ru", wrong) == []


def test_russian_register() -> None:
    assert "учреждений-нерезидентов" in item("fact", "twenty-one-agencies").text["ru"]
    assert "защитная среда для детей" in item("agency", "unicef").profile["ru"]
    assert "вынужденно перемещенным лицам" in item("agency", "unhcr").profile["ru"]
    assert "трансграничное перемещение" in item("fact", "statelessness-roots").text["ru"]
    period = next(p for p in CONTENT.periods if p.id == "cooperation")
    wording = "от помощи в целях развития к сотрудничеству в интересах развития"
    assert wording in period.title["ru"]
    assert wording.replace(" к ", " — к ") in item("fact", "era-of-cooperation").text["ru"]


async def test_russian_settings_toggle_says_reminders(harness: Harness) -> None:
    settings = (await harness.user(language_code="ru").send("/subscribe")).last
    assert "✅ Напоминания" in [b.text for b in settings.flat_buttons]
    assert msgstr("ru", "reminder", "Today, {n} year ago: {title}")[1] == (
        "В этот день {n} года назад: {title}"
    )


# -- English ----------------------------------------------------------------------------------


def test_english_register() -> None:
    assert containing("en", r"USD") == []
    assert containing("en", r"\b8 non-resident") == []
    assert "eight non-resident agencies" in item("fact", "twenty-one-agencies").text["en"]
    assert "$368 million" in item("fact", "cf-funding").text["en"]
    assert item("event", "accession").title["en"].endswith("a Member of the United Nations")


def test_english_interface_strings() -> None:
    focal = msgstr("en", "command menu", "Contacts of the UN press focal points")
    assert focal == "Contacts of the UN public-information focal points"
    catalog = (ROOT / "locales/en/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    english = [m for m in re.findall(r'msgstr(?:\[\d\])? "(.*)"', catalog) if "{title}" in m]
    assert english and not [m for m in english if "«" in m]
    assert "up to 1,000 messages a second" in catalog


# -- second reading (a fresh pair of eyes) --------------------------------------------------


def test_resolution_738_is_called_a_recommendation_not_a_decision() -> None:
    fact = item("fact", "security-council-resolution-738").text
    assert "рекомендация, а не решение" in fact["ru"] and "Решение Совета" not in fact["ru"]
    assert "тавсия буд, на қарор" in fact["tg"] and "Қарори Шӯрои" not in fact["tg"]
    assert "a recommendation, not a decision" in fact["en"]


def test_tajik_name_of_the_general_agreement() -> None:
    assert item("term", "general-agreement").text["tg"] == (
        "Созишномаи умумии истиқрори сулҳ ва ризоияти миллӣ дар Тоҷикистон"
    )
    assert containing("tg", r"барқарории сулҳ") == []


def test_one_word_per_concept_in_the_interfaces() -> None:
    ru = (ROOT / "locales/ru/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    ru_strings = " ".join(re.findall(r'msgstr(?:\[\d\])? "(.*)"', ru))
    assert not re.search(r"(?i)агентств", ru_strings)  # «учреждения ООН», as in the content
    assert "памятные даты {reminders}" not in ru_strings
    tg = (ROOT / "locales/tg/LC_MESSAGES/messages.po").read_text(encoding="utf-8")
    assert msgstr("tg", "settings", "Anniversary reminders") == "Ёдраскуниҳо"
    assert "санаҳои хотиравӣ {reminders}" not in tg and "Фиристодани пулакӣ" not in tg
    assert msgstr("tg", "reminder", "Today, {n} year ago: {title}")[1] == (
        "Дар ҳамин рӯз, {n} сол пеш: {title}"
    )
