"""The partnership timeline as one PNG picture, in one language.

Layout, top to bottom: a title; a time strip (periods as coloured bands, programmes and
decades as bars, dated events as numbered markers on a year axis, the years before 1992
compressed); under each period a column listing its events by number, date and title
(joined to its band by a fan, so every label has room and none overlaps); the sources.

Drawn with matplotlib's Agg backend through the object API (no pyplot, no global state),
in pixel coordinates, with the DejaVu Sans fonts matplotlib ships (they cover Tajik
Cyrillic). The same content and language always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle

from bot.content.model import Content, Event, Period
from bot.dates import PartialDate
from bot.i18n import Translator
from bot.render.common import event_when

# Portrait, for phones (most readers): the full width of a phone screen shows ~26 px text
# as ~9 pt. The height follows the content (Telegram keeps up to 2560 px on a side).
WIDTH, DPI = 1080, 100
MAX_HEIGHT = 3400
MARGIN = 40
NBSP = "\u00a0"
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT_FILES = {"regular": FONT_DIR / "DejaVuSans.ttf", "bold": FONT_DIR / "DejaVuSans-Bold.ttf"}

INK = "#1d2b3a"
MUTED = "#5d6b78"
AXIS = "#44515e"
# One colour per period, in order; a band, its section and its events share it.
PALETTE = ("#6c7a96", "#2f8f6b", "#d08a1e", "#c0533a", "#0a7fc0", "#8a5aa8")

# Sizes in pixels (the figure is drawn at one pixel per unit, DPI only converts font sizes).
TITLE_PX = 40
BAND_LABEL_H = 34  # the years of each period, at the top of its band
BAND_LABEL_PX = 21
DOT_R = 17  # event markers
BAR_H = 34  # programmes and decades
BAR_LABEL_PX = 21
STACK_GAP = 4
TICKS_H = 34
TICK_PX = 20
FOOTER_PX = 19
SECTION_GAP = 18  # between two periods' sections
PAD = 16  # inside a section
FONT_SIZES = (27, 26, 25, 24, 23, 22)  # for the section texts, the largest that fits
HEADER_SCALE = 1.1  # a section's heading (the period title), relative to its texts
LINE = 1.22  # line height, in font sizes
ITEM_GAP = 0.4  # between two events in a section, in font sizes

# The axis: a few years around the earliest events at full scale, the quiet decades before
# 1992 compressed behind a break mark, then one scale from 1990 to the end.
EARLY_YEARS = 5  # years drawn at full scale after the first one
BREAK_PX = 44  # width of the compressed stretch


def _px_to_pt(px: float) -> float:
    return px * 72 / DPI


@cache
def _charmap(weight: str) -> frozenset[int]:
    return frozenset(FT2Font(str(FONT_FILES[weight])).get_charmap())


def font_covers(text: str) -> bool:
    """Whether every character of text has a glyph in the fonts the picture is drawn with."""
    maps = [_charmap(weight) for weight in FONT_FILES]
    return all(ch in "\n\r\t" or all(ord(ch) in m for m in maps) for ch in text)


@cache
def _font(weight: str, px: float) -> FontProperties:
    return FontProperties(fname=FONT_FILES[weight], size=_px_to_pt(px))


# -- time and positions ------------------------------------------------------------------------


def _fraction(day: dt.date) -> float:
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


def _last_day(date: PartialDate) -> dt.date:
    """The day after the latest day a date can mean ("2015" → 1 January 2016)."""
    if date.day is not None:
        return date.first_day() + dt.timedelta(days=1)
    if date.month is not None:
        return dt.date(date.year + (date.month == 12), date.month % 12 + 1, 1)
    return dt.date(date.year + 1, 1, 1)


def _start(event: Event) -> float:
    return _fraction(event.when.first_day())


def _middle(event: Event) -> float:
    """Where a point event sits: its day, or the middle of the month or year it names."""
    return (_fraction(event.when.first_day()) + _fraction(_last_day(event.when))) / 2


def _end(event: Event) -> float:
    until = event.until or event.when
    return _fraction(_last_day(until))


def _is_span(event: Event) -> bool:
    """Drawn as a bar when it lasts long enough to show (half a year), else as a marker."""
    return event.until is not None and _end(event) - _start(event) >= 0.5


@dataclass(frozen=True)
class _Axis:
    first: int  # the first year shown
    last: int  # the last year shown (its whole year is on the axis)
    left: float
    right: float
    compress_from: float | None  # years in [compress_from, compress_to] squeezed together
    compress_to: float | None

    @classmethod
    def for_content(cls, first: int, last: int, left: float, right: float) -> _Axis:
        gap_from, gap_to = first + EARLY_YEARS, 1990
        if gap_to - gap_from < 10:
            return cls(first, last, left, right, None, None)
        return cls(first, last, left, right, gap_from, gap_to)

    def x(self, year: float) -> float:
        if self.compress_from is None or self.compress_to is None:
            scale = (self.right - self.left) / (self.last + 1 - self.first)
            return self.left + (year - self.first) * scale
        main = (self.right - self.left - BREAK_PX) / (
            self.last + 1 - self.compress_to + self.compress_from - self.first
        )
        if year <= self.compress_from:
            return self.left + (year - self.first) * main
        early = self.left + (self.compress_from - self.first) * main
        if year <= self.compress_to:
            share = (year - self.compress_from) / (self.compress_to - self.compress_from)
            return early + share * BREAK_PX
        return early + BREAK_PX + (year - self.compress_to) * main

    def ticks(self) -> list[int]:
        """The first year, every fifth year outside the compressed stretch, the last year."""
        years = [self.first] + [
            year
            for year in range(self.first + 1, self.last + 1)
            if (year % 5 == 0 or year == self.last)
            and not (
                self.compress_from is not None
                and self.compress_to is not None
                and self.compress_from < year < self.compress_to
            )
        ]
        # Drop ticks closer than 60 px to the previous one (keep the last year).
        kept: list[int] = []
        for year in years:
            if kept and self.x(year) - self.x(kept[-1]) < 60:
                if year == self.last:
                    kept[-1] = year
                continue
            kept.append(year)
        return kept


# -- text measuring and wrapping -----------------------------------------------------------------


REFERENCE_PX = 100.0
# Glyphs hinted at the drawn size come out up to ~1.5 % wider than scaled from REFERENCE_PX:
# a wrapped line is kept that much (and 2 px) short of its width.
WRAP_SLACK = 0.02


_MEASURING = threading.Lock()  # an FT2Font is not safe to share between threads


@cache
def _reference_font(weight: str) -> FT2Font:
    font = FT2Font(str(FONT_FILES[weight]))
    font.set_size(_px_to_pt(REFERENCE_PX), DPI)
    return font


@cache
def _word_width(word: str, weight: str) -> float:
    """A word's advance width at REFERENCE_PX, laid out by FreeType as matplotlib does it."""
    with _MEASURING:
        font = _reference_font(weight)
        font.set_text(word, 0.0)
        return font.get_width_height()[0] / 64


class _Measure:
    """Text widths in pixels, summed from cached word widths at one size: laying out whole
    lines at every size again and again while wrapping is slow (~1 ms a line).
    """

    def width(self, text: str, weight: str, px: float) -> float:
        words = text.split(" ")
        total = sum(_word_width(word, weight) for word in words if word)
        total += (len(words) - 1) * _word_width(" ", weight)
        return total * px / REFERENCE_PX

    def wrap(
        self,
        text: str,
        weight: str,
        px: float,
        width: float,
        first_width: float | None = None,
        max_lines: int | None = None,
    ) -> list[str]:
        """Greedy word wrap to pixel widths; the last allowed line ends in "…" if cut."""
        words = [word for word in text.split(" ") if word]  # not at no-break spaces
        lines: list[str] = []
        current = ""
        if first_width is not None and words and self.width(words[0], weight, px) > first_width:
            lines.append("")  # nothing fits beside what comes before: start on the next line
            max_lines = max_lines + 1 if max_lines is not None else None
        for word in words:
            limit = first_width if (first_width is not None and not lines) else width
            candidate = f"{current} {word}" if current else word
            if not current or self.width(candidate, weight, px) <= limit * (1 - WRAP_SLACK) - 2:
                current = candidate
            else:
                lines.append(current)
                current = word
        if current:
            lines.append(current)
        if max_lines is not None and len(lines) > max_lines:
            kept = lines[:max_lines]
            last = kept[-1]
            limit = width if max_lines > 1 or first_width is None else first_width
            while last and self.width(last + "…", weight, px) > limit * (1 - WRAP_SLACK) - 2:
                last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
            kept[-1] = last.rstrip(" ,.;:–—") + "…"
            lines = kept
        return lines


# -- layout ------------------------------------------------------------------------------------


@dataclass
class _Item:
    number: int
    event: Event
    period: int  # index into the periods
    when: str
    title: str
    span: bool
    when_lines: list[str] = field(default_factory=list)
    when_last: float = 0.0  # width of the last line of the date, which the title follows
    lines: list[str] = field(default_factory=list)  # the first shares the date's last line

    @property
    def rows(self) -> int:
        return len(self.when_lines) - 1 + len(self.lines)


@dataclass
class _Column:
    period: Period
    colour: str
    items: list[_Item]
    left: float = 0.0
    width: float = 0.0
    header: list[str] = field(default_factory=list)
    more: int = 0


def _period_index(periods: tuple[Period, ...], event: Event) -> int:
    year = event.when.year
    for index, period in enumerate(periods):
        if period.start <= year and (period.end is None or year <= period.end):
            return index
    return 0 if year < periods[0].start else len(periods) - 1


def _tint(colour: str, amount: float) -> tuple[float, float, float]:
    """The colour mixed with white (amount 0 = colour, 1 = white)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _shade(colour: str, amount: float) -> tuple[float, float, float]:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return (r * (1 - amount), g * (1 - amount), b * (1 - amount))


class _Drawing:
    def __init__(self, height: int) -> None:
        self.height = height
        self.figure = Figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, WIDTH)
        self.ax.set_ylim(height, 0)
        self.ax.set_axis_off()
        self.measure = _Measure()
        # (left, top, right, bottom) of each column: the tests check texts stay inside.
        self.columns: list[tuple[float, float, float, float]] = []

    def text(
        self,
        x: float,
        y: float,
        text: str,
        px: float,
        weight: str = "regular",
        colour: object = INK,
        ha: str = "left",
        va: str = "top",
        zorder: float = 5,
    ) -> None:
        self.ax.text(
            x,
            y,
            text,
            fontproperties=_font(weight, px),
            color=colour,
            ha=ha,
            va=va,
            parse_math=False,
            zorder=zorder,
        )

    def exact_width(self, text: str, weight: str, px: float) -> float:
        """The width the text is drawn with (slow: for the few texts placed side by side)."""
        renderer = self.canvas.get_renderer()
        width, _, _ = renderer.get_text_width_height_descent(text, _font(weight, px), ismath=False)
        return width

    def badge(self, x: float, y: float, number: int, colour: object, radius: float) -> None:
        self.ax.add_patch(
            Circle((x, y), radius, facecolor=colour, edgecolor="white", linewidth=1.5, zorder=6)
        )
        self.text(
            x,
            y,
            str(number),
            radius * 1.0,
            "bold",
            "white",
            ha="center",
            va="center_baseline",
            zorder=7,
        )

    def png(self) -> bytes:
        buffer = io.BytesIO()
        # No "Software" entry (the matplotlib version): the bytes depend on the content only.
        self.figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()


def _when(tr: Translator, event: Event) -> str:
    """The event's date(s) as the bot shows them, each date kept on one line."""
    # A number stays with its neighbours («24 октября 1945 г.»), but a long Tajik date may
    # break before «соли»: «24 октябри / соли 1945».
    text = re.sub(r"(?<=\d) | (?=\d)| (?=г)", NBSP, event_when(tr, event))
    return text


def _items(tr: Translator, content: Content, periods: tuple[Period, ...]) -> list[_Item]:
    ordered = sorted(
        enumerate(content.events), key=lambda pair: (_start(pair[1]), _middle(pair[1]), pair[0])
    )
    return [
        _Item(
            number,
            event,
            _period_index(periods, event),
            _when(tr, event),
            " ".join(event.title[tr.lang].split()),
            _is_span(event),
        )
        for number, (_, event) in enumerate(ordered, start=1)
    ]


@dataclass(frozen=True)
class _Box:
    x0: float
    x1: float
    bottom: float  # height above the axis
    top: float


def _stack(boxes: list[_Box], x0: float, x1: float, height: float) -> _Box:
    """Put a box of the given width and height on the axis, on top of what it would overlap."""
    below = [b.top for b in boxes if b.x0 < x1 and x0 < b.x1]
    bottom = max(below, default=0.0) + STACK_GAP
    box = _Box(x0, x1, bottom, bottom + height)
    boxes.append(box)
    return box


def render_timeline(tr: Translator, content: Content) -> bytes:
    """The timeline of periods and events as a portrait PNG, WIDTH pixels wide, in tr's
    language."""
    return _draw(tr, content).png()


def _draw(tr: Translator, content: Content) -> _Drawing:
    m = _Measure()
    years = [p.start for p in content.periods] + [e.when.year for e in content.events]
    first = min(years, default=1945)  # (no content at all: any fixed year, for stable bytes)
    last = max(
        [p.end for p in content.periods if p.end is not None]
        + [(e.until or e.when).year for e in content.events],
        default=first,
    )
    last = max(last, first + 1)
    # Without periods, one untitled period holds every event.
    periods = content.periods or (Period("all", first, None, {tr.lang: ""}),)
    items = _items(tr, content, periods)
    # Room for a marker on the first day; the last year runs to the end of the axis.
    axis = _Axis.for_content(first, last, MARGIN + DOT_R + 6, WIDTH - MARGIN - 8)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(periods))]

    # -- first everything is measured, then the picture is as tall as it needs --
    title = tr.pgettext("timeline", "The UN and Tajikistan: a partnership timeline, {start}–{end}")
    title_lines = m.wrap(title.format(start=first, end=last), "bold", TITLE_PX, WIDTH - 2 * MARGIN)
    strip_top = 26 + len(title_lines) * TITLE_PX * LINE + 14

    # the time strip: markers stacked up from the axis, the bars on top of them
    boxes: list[_Box] = []
    placed: list[tuple[_Item, _Box]] = []
    for item in (i for i in items if not i.span):
        x = axis.x(_middle(item.event))
        placed.append((item, _stack(boxes, x - DOT_R - 1, x + DOT_R + 1, 2 * DOT_R)))
    for item in (i for i in items if i.span):
        x0, x1 = axis.x(_start(item.event)), axis.x(_end(item.event))
        placed.append((item, _stack(boxes, x0 - 4, x1 + 4, BAR_H)))
    stack_h = max((b.top for b in boxes), default=0.0)
    axis_y = strip_top + BAND_LABEL_H + stack_h + 6
    ticks_bottom = axis_y + TICKS_H

    sources: list[str] = []
    for event in content.events:
        source = content.source(event.source).title[tr.lang]
        if source not in sources:
            sources.append(source)
    footer = tr.pgettext("timeline", "Sources: {sources}").format(sources="; ".join(sources))
    footer_lines = m.wrap(footer, "regular", FOOTER_PX, WIDTH - 2 * MARGIN, max_lines=12)
    footer_h = len(footer_lines) * FOOTER_PX * 1.3

    columns = [
        _Column(period, colours[index], [i for i in items if i.period == index])
        for index, period in enumerate(periods)
    ]
    sections_top = ticks_bottom + SECTION_GAP * 1.5
    px = FONT_SIZES[-1]
    for px in FONT_SIZES:  # the largest size whose picture stays under MAX_HEIGHT
        heights = [_layout_column(c, m, px, tr) for c in columns]
        total = sections_top + sum(heights) + SECTION_GAP * len(heights) + footer_h + 20
        if total <= MAX_HEIGHT:
            break
    heights = [_layout_column(c, m, px, tr) for c in columns]
    footer_top = sections_top + sum(heights) + SECTION_GAP * len(heights)
    d = _Drawing(int(footer_top + footer_h + 20))
    d.measure = m

    for n, line in enumerate(title_lines):
        d.text(MARGIN, 26 + n * TITLE_PX * LINE, line, TITLE_PX, "bold")

    def band(period: Period) -> tuple[float, float]:
        end = period.end if period.end is not None else last
        x0 = MARGIN if period is periods[0] else axis.x(period.start)
        x1 = WIDTH - MARGIN if period is periods[-1] else axis.x(end + 1)
        return x0, x1

    for index, period in enumerate(periods):
        x0, x1 = band(period)
        colour = colours[index]
        d.ax.add_patch(
            Rectangle(
                (x0, strip_top),
                x1 - x0,
                ticks_bottom - strip_top,
                facecolor=_tint(colour, 0.86),
                edgecolor="none",
                zorder=1,
            )
        )
        if index:
            d.ax.plot([x0, x0], [strip_top, ticks_bottom], color="white", lw=2, zorder=1.5)
        # the years of the band where they fit (the section below always says them)
        label = f"{period.start}–{period.end}" if period.end is not None else f"{period.start} →"
        if m.width(label, "bold", BAND_LABEL_PX) <= x1 - x0 - 10:
            d.text(x0 + 5, strip_top + 6, label, BAND_LABEL_PX, "bold", _shade(colour, 0.25))

    _draw_axis(d, axis, axis_y, _tint(colours[0], 0.86))

    for item, box in placed:
        colour = colours[item.period]
        if not item.span:
            x = (box.x0 + box.x1) / 2
            y = axis_y - box.bottom - DOT_R
            if box.bottom > STACK_GAP:
                d.ax.plot([x, x], [axis_y, y], color=AXIS, lw=1, alpha=0.6, zorder=3)
            d.badge(x, y, item.number, colour, DOT_R)
            continue
        x0, x1 = box.x0 + 4, box.x1 - 4
        y = axis_y - box.top
        d.ax.add_patch(
            FancyBboxPatch(
                (x0, y),
                x1 - x0,
                BAR_H,
                boxstyle=f"round,pad=0,rounding_size={BAR_H / 2}",
                facecolor=colour,
                edgecolor="none",
                zorder=3,
            )
        )
        d.badge(x0 + BAR_H / 2, y + BAR_H / 2, item.number, _shade(colour, 0.35), BAR_H / 2)
        label = f"{item.event.when.year}–{(item.event.until or item.event.when).year}"
        label_x = x0 + BAR_H + 6
        if label_x + m.width(label, "bold", BAR_LABEL_PX) <= x1 - 8:
            d.text(
                label_x, y + BAR_H / 2, label, BAR_LABEL_PX, "bold", "white", va="center_baseline"
            )

    top = sections_top
    for column, height in zip(columns, heights, strict=True):
        _draw_column(d, column, top, top + height, px, tr)
        d.columns.append((column.left, top, column.left + column.width, top + height))
        top += height + SECTION_GAP

    for n, line in enumerate(footer_lines):
        d.text(MARGIN, footer_top + n * FOOTER_PX * 1.3, line, FOOTER_PX, "regular", MUTED)
    return d


def _draw_axis(d: _Drawing, axis: _Axis, y: float, background: object) -> None:
    d.ax.plot([MARGIN, WIDTH - MARGIN], [y, y], color=AXIS, lw=2, zorder=4, solid_capstyle="butt")
    if axis.compress_from is not None and axis.compress_to is not None:
        mid = (axis.x(axis.compress_from) + axis.x(axis.compress_to)) / 2
        d.ax.add_patch(
            Rectangle((mid - 8, y - 6), 16, 12, facecolor=background, edgecolor="none", zorder=4.5)
        )
        for dx in (-5, 5):
            d.ax.plot([mid + dx - 3, mid + dx + 3], [y + 8, y - 8], color=AXIS, lw=2, zorder=4.6)
    for year in axis.ticks():
        x = axis.x(year)
        d.ax.plot([x, x], [y, y + 6], color=AXIS, lw=1.5, zorder=4)
        d.text(x, y + 8, str(year), TICK_PX, "regular", MUTED, ha="center")


def _heading(tr: Translator, period: Period) -> str:
    """A section's heading: the period's title and its years, as /history writes them."""
    if period.end is not None:
        span = f"{period.start}–{period.end}"
    else:
        span = tr.pgettext("history", "{start} and beyond").format(start=period.start)
    title = period.title.get(tr.lang, "")
    return f"{title} ({span})" if title else span


def _layout_column(
    column: _Column, m: _Measure, px: float, tr: Translator, max_lines: int | None = None
) -> float:
    """Wrap the section's texts at font size px, across the picture; return its height."""
    column.left, column.width = MARGIN, WIDTH - 2 * MARGIN
    inner = column.width - 2 * PAD
    badge = px * 1.6
    column.header = m.wrap(_heading(tr, column.period), "bold", px * HEADER_SCALE, inner)
    height = PAD + len(column.header) * px * HEADER_SCALE * LINE + 10
    for item in column.items:
        text_w = inner - badge
        item.when_lines = m.wrap(item.when, "bold", px, text_w)
        item.when_last = m.width(item.when_lines[-1], "bold", px)
        first = max(0.0, text_w - item.when_last - px * 0.5)
        item.lines = m.wrap(
            item.title, "regular", px, text_w, first_width=first, max_lines=max_lines
        )
        height += item.rows * px * LINE + px * ITEM_GAP
    return height + PAD


def _draw_column(
    d: _Drawing, column: _Column, top: float, bottom: float, px: float, tr: Translator
) -> None:
    d.ax.add_patch(
        FancyBboxPatch(
            (column.left, top),
            column.width,
            bottom - top,
            boxstyle="round,pad=0,rounding_size=10",
            facecolor=_tint(column.colour, 0.9),
            edgecolor="none",
            zorder=1,
        )
    )
    x = column.left + PAD
    y = top + PAD
    header_px = px * HEADER_SCALE
    for line in column.header:
        d.text(x, y, line, header_px, "bold", _shade(column.colour, 0.3))
        y += header_px * LINE
    y += 10
    badge = px * 1.6
    line_h = px * LINE
    for item in column.items:
        d.badge(x + badge / 2 - 2, y + line_h / 2 - 1, item.number, column.colour, px * 0.72)
        tx = x + badge
        for n, line in enumerate(item.when_lines):
            d.text(tx, y + n * line_h, line, px, "bold", _shade(column.colour, 0.35))
        y += (len(item.when_lines) - 1) * line_h
        when_last = d.exact_width(item.when_lines[-1], "bold", px)
        for n, line in enumerate(item.lines):
            lx = tx + when_last + px * 0.5 if n == 0 else tx
            if line:
                d.text(lx, y + n * line_h, line, px, "regular", INK)
        y += len(item.lines) * line_h + px * ITEM_GAP
    if column.more:
        more = tr.npgettext(
            "timeline", "and {count} more event", "and {count} more events", column.more
        ).format(count=column.more)
        d.text(x + badge, y, more, px, "regular", MUTED)
