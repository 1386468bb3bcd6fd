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
