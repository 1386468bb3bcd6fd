"""The last 30 days for /stats as one PNG: active users, new subscribers, deliveries.

Drawn like bot/timeline_image.py: matplotlib's Agg backend through the object API (no
pyplot, no global state), with the DejaVu Sans fonts matplotlib ships (Tajik Cyrillic
included). Slow enough (~0.3 s) that callers run it in a thread.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator

from bot.i18n import Translator
from bot.stats import Daily
from bot.timeline_image import FONT_FILES, INK, MUTED

WIDTH, HEIGHT, DPI = 1200, 1000, 100
BLUE, GREEN, TEAL = "#0a7fc0", "#2f8f6b", "#8fc9a8"
ORANGE, RED = "#d08a1e", "#c0533a"
GRID = "#dde3e8"


def _font(weight: str, size: float) -> FontProperties:
    return FontProperties(fname=str(FONT_FILES[weight]), size=size)


def render_stats(tr: Translator, figures: Daily) -> bytes:
    days = figures.days
    x = list(range(len(days)))
    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    figure.text(
        0.04,
        0.965,
        tr.pgettext("stats picture", "The bot in the last 30 days"),
        fontproperties=_font("bold", 20),
        color=INK,
        va="top",
    )
    figure.text(
        0.04,
        0.925,
        tr.pgettext("stats picture", "{first} – {last}").format(
            first=tr.day_month(days[0].month, days[0].day),
            last=tr.day_month(days[-1].month, days[-1].day),
        ),
        fontproperties=_font("regular", 13),
        color=MUTED,
        va="top",
    )
    v = figures.values
    Series = tuple[str, list[int], str]  # (legend label, values, colour)
    panels: list[tuple[str, list[Series]]] = [
        (tr.pgettext("stats picture", "Active users a day"), [("", v["active_users"], BLUE)]),
        (
            tr.pgettext("stats picture", "New subscriptions a day"),
            [
                (tr.pgettext("stats picture", "news"), v["new_subscriptions_news"], GREEN),
                (
                    tr.pgettext("stats picture", "reminders"),
                    v["new_subscriptions_reminders"],
                    TEAL,
                ),
            ],
        ),
        (
            tr.pgettext("stats picture", "Deliveries a day"),
            [
                (tr.pgettext("stats picture", "sent"), v["deliveries_sent"], ORANGE),
                (tr.pgettext("stats picture", "failed"), v["deliveries_failed"], RED),
            ],
        ),
    ]
    ticks = [i for i in x if (len(x) - 1 - i) % 7 == 0]
    for n, (title, series) in enumerate(panels):
        ax = figure.add_axes((0.07, 0.66 - n * 0.295, 0.86, 0.2))
        ax.set_title(title, loc="left", fontproperties=_font("bold", 14), color=INK, pad=8)
        if len(series) == 1:  # a line: how many at once
            _, values, colour = series[0]
            ax.plot(x, values, color=colour, linewidth=2.2, marker="o", markersize=3.5)
            ax.fill_between(x, values, color=colour, alpha=0.12)
        else:  # stacked bars: how many times
            values = [0] * len(x)
            for label, part, colour in series:
                ax.bar(x, part, bottom=values, color=colour, width=0.7, label=label)
                values = [a + b for a, b in zip(values, part, strict=True)]
            ax.legend(
                loc="lower right",
                bbox_to_anchor=(1.0, 1.0),
                prop=_font("regular", 12),
                frameon=False,
                ncols=len(series),
            )
        ax.set_ylim(0, max(max(values) * 1.2, 1))
        ax.set_xlim(-0.7, len(x) - 0.3)
        ax.set_xticks(ticks, [tr.day_month(days[i].month, days[i].day) for i in ticks])
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        for tick in (*ax.get_xticklabels(), *ax.get_yticklabels()):
            tick.set_fontproperties(_font("regular", 11))
            tick.set_color(MUTED)
        ax.grid(axis="y", color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_color(GRID)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
