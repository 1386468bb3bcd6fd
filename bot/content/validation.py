"""Reading and validating content/: every problem is collected (file, item, field, what is
wrong) before anything is loaded, so a bad file never starts a bot that serves half of it."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from bot.content.checks import Checker, ContentError, Problem, parse_items, read_toml
from bot.content.kinds import KINDS, SHOWN, Known
from bot.content.model import CONTENT_DIR, SEEDS_SUBDIR, Content
from bot.i18n import I18n
from bot.render.html import plain_text

MAX_MESSAGE = 4096


def read_content(content_dir: Path = CONTENT_DIR) -> Content:
    """Read and validate every content file; raise ContentError listing all problems."""
    known = Known(seeds_dir=content_dir / SEEDS_SUBDIR)
    problems: list[Problem] = []
    items: dict[str, tuple[Any, ...]] = {}
    for kind in KINDS:
        checker = Checker(kind.file)
        raw = read_toml(content_dir / kind.file, kind.name, checker)
        parsed = parse_items(raw, checker, set(kind.fields), partial(kind.build, known, checker))
        if kind.whole is not None:
            parsed = kind.whole(known, checker, parsed)
        known.ids[kind.name] = {item.id for item in parsed}
        items[kind.name] = tuple(parsed)
        problems += checker.problems
    if problems:
        raise ContentError(problems)
    content = Content(items)
    problems = _check_rendered(content)
    if problems:
        raise ContentError(problems)
    return content


def _check_rendered(content: Content) -> list[Problem]:
    """Every item, rendered as the bot sends it, must fit one Telegram message."""
    i18n = I18n()
    files = {kind.name: kind.file for kind in KINDS}
    problems = []
    for kind, shown in SHOWN.items():
        for item in content.of(kind):
            for tr in i18n.all():
                visible = len(plain_text(shown.render(tr, content, item)))
                if visible > MAX_MESSAGE:
                    problems.append(
                        Problem(
                            files[kind],
                            item.id,
                            tr.lang,
                            f"rendered message is {visible} characters, "
                            f"over Telegram's limit of {MAX_MESSAGE}",
                        )
                    )
    return problems
