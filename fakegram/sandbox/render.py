"""What the bot sent, as a terminal shows it: styles with ANSI escapes on a terminal, plain
text when piped; links as `text <url>`; buttons numbered, with what they do."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

ANSI = {
    "b": "1",
    "strong": "1",
    "i": "3",
    "em": "3",
    "u": "4",
    "ins": "4",
    "s": "9",
    "strike": "9",
    "del": "9",
    "code": "2",
    "pre": "2",
}
INDENT = "     "


@dataclass(frozen=True)
class Style:
    """ANSI styles on a terminal; nothing when the output is piped (scripts, docs, tests)."""

    ansi: bool = False

    def wrap(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.ansi and text else text

    def dim(self, text: str) -> str:
        return self.wrap(text, "2")

    def bold(self, text: str) -> str:
        return self.wrap(text, "1")


class _Terminal(HTMLParser):
    """Telegram HTML (already checked by the fake server) to styled terminal text."""

    def __init__(self, style: Style) -> None:
        super().__init__(convert_charrefs=True)
        self.style = style
        self.out: list[str] = []
        self.open: list[tuple[str, str | None]] = []  # tag, href

    def _codes(self) -> str:
        return ";".join(ANSI[tag] for tag, _ in self.open if tag in ANSI)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append((tag, dict(attrs).get("href") if tag == "a" else None))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            return
        _, href = self.open.pop()
        if tag == "a" and href:
            self.out.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        codes = self._codes()
        self.out.append(self.style.wrap(data, codes) if codes else data)


def html_to_terminal(html: str, style: Style) -> str:
    parser = _Terminal(style)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


def call_body(params: dict[str, Any], message: dict[str, Any], style: Style) -> str:
    """The text or caption a call sent, with its formatting (from the call itself: the
    stored message may have been edited since); for a change of buttons only, the text the
    message has."""
    text = params.get("text") or params.get("caption")
    if text is None:
        return html_to_terminal(str(message["html"]), style) if message.get("html") else ""
    if params.get("parse_mode") == "HTML":
        return html_to_terminal(str(text), style)
    return str(text)


def button_line(row: list[dict[str, Any]], first: int) -> str:
    """One keyboard row: `[n] label`, with a link's address or the inline query it runs."""
    cells = []
    for number, button in enumerate(row, start=first):
        cell = f"[{number}] {button['text']}"
        if button.get("url"):
            cell += f" <{button['url']}>"
        for key in ("switch_inline_query_current_chat", "switch_inline_query"):
            if key in button:
                cell += f" (@ {button[key]})" if button[key] else " (@)"
        cells.append(cell)
    return INDENT + "  ".join(cells)


def indent(text: str) -> str:
    return text.replace("\n", "\n" + INDENT)
