from bot.dates import PartialDate
from bot.i18n import I18n, resolve_language


def test_language_resolution() -> None:
    assert resolve_language("tg", "en") == "tg"
    assert resolve_language(None, "en-US") == "en"
    assert resolve_language(None, "ru") == "ru"
    assert resolve_language(None, "de") == "ru"
    assert resolve_language(None, None) == "ru"


def test_dates_keep_their_precision_in_each_language() -> None:
    i18n = I18n()
    ru, tg, en = i18n("ru"), i18n("tg"), i18n("en")
    day, month, year = (
        PartialDate.parse("1992-03-02"),
        PartialDate.parse("1997-06"),
        PartialDate(1993),
    )
    assert ru.date(day) == "2 марта 1992 г."
    assert en.date(day) == "2 March 1992"
    assert tg.date(day) == "2 марти соли 1992"
    assert ru.date(month) == "июнь 1997 г."
    assert en.date(month) == "June 1997"
    assert tg.date(month) == "моҳи июни соли 1997"
    assert ru.date(year) == "1993 г."
    assert en.date(year) == "1993"
    assert tg.date(year) == "соли 1993"
    assert tg.day_month(5, 31) == "31 май"
    assert ru.day_month(3, 2) == "2 марта"


def test_numbers_per_locale() -> None:
    i18n = I18n()
    assert i18n("en").number(26000) == "26,000"
    assert i18n("ru").number(26000).replace("\xa0", " ") == "26 000"


def test_partial_date_errors() -> None:
    import pytest

    for bad, why in [
        ("1992-02-30", "not a real day"),
        ("1997-13", "no month 13"),
        ("June 1997", "not a date"),
    ]:
        with pytest.raises(ValueError, match=why):
            PartialDate.parse(bad)


def test_spans_are_written_once_and_fill_adds_no_second_full_stop() -> None:
    from bot.i18n import fill

    i18n = I18n()
    ru, tg, en = i18n("ru"), i18n("tg"), i18n("en")
    cases = {
        ("2023-03-22", "2023-03-24"): (
            "22–24 марта 2023 г.",
            "22–24 марти соли 2023",
            "22–24 March 2023",
        ),
        ("2005", "2015"): ("2005–2015 гг.", "солҳои 2005–2015", "2005–2015"),
        ("2023-03-22", "2023-04-02"): (
            "22 марта – 2 апреля 2023 г.",
            "22 марти – 2 апрели соли 2023",
            "22 March – 2 April 2023",
        ),
        ("2000-05", "2000-08"): (
            "май – август 2000 г.",
            "моҳҳои май – августи соли 2000",
            "May – August 2000",
        ),
        # nothing shared: both ends in full
        ("2018-03-22", "2028-03-22"): (
            "22 марта 2018 г. – 22 марта 2028 г.",
            "22 марти соли 2018 – 22 марти соли 2028",
            "22 March 2018 – 22 March 2028",
        ),
        ("2000-05", "2007-08"): (
            "май 2000 г. – август 2007 г.",
            "моҳи майи соли 2000 – моҳи августи соли 2007",
            "May 2000 – August 2007",
        ),
    }
    for (start, end), expected in cases.items():
        got = tuple(t.span(PartialDate.parse(start), PartialDate.parse(end)) for t in (ru, tg, en))
        assert got == expected
    assert fill("Работает в Таджикистане с {date}.", date="1993 г.") == (
        "Работает в Таджикистане с 1993 г."
    )
    assert fill("Предпросмотр ссылок: {state}.", state="выкл.") == "Предпросмотр ссылок: выкл."
    assert fill("Since {date}.", date="1993") == "Since 1993."


def test_languages_are_named_in_the_readers_language_and_case() -> None:
    i18n = I18n()
    named = {
        lang: (
            [i18n(lang).language(code) for code in ("ru", "tg", "en")],
            i18n(lang).language("tg", capital=True),
            i18n(lang).in_language("tg"),
        )
        for lang in ("ru", "tg", "en")
    }
    assert named == {
        "ru": (["русский", "таджикский", "английский"], "Таджикский", "на таджикском"),
        "tg": (["русӣ", "тоҷикӣ", "англисӣ"], "Тоҷикӣ", "бо забони тоҷикӣ"),
        "en": (["Russian", "Tajik", "English"], "Tajik", "in Tajik"),
    }
