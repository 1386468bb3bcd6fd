"""The sandbox user and what they can do: talk in their private chat or a group, press
buttons, use inline mode, move the clock; after each input the transcript shows all that
arrived in the user's chats, replies and pushes alike, once the bot has settled."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from fakegram.harness import ChatUser, Harness
from fakegram.protocol import BOT_ID
from fakegram.records import Call, FakeUser
from fakegram.sandbox.commands import HELP, clock_text, parse_clock
from fakegram.sandbox.render import (
    INDENT,
    Style,
    button_line,
    call_body,
    html_to_terminal,
    indent,
)
from fakegram.sandbox.terminal import LineReader
from fakegram.server import FakeBotAPI
from fakegram.telegram_html import html_to_text

SANDBOX_USER_ID = 1001
GROUP_ID = -1001000000001
GROUP_TITLE = "Sandbox group"
CHANNEL_ID = -1001000000002
CHANNEL_USERNAME = "sandbox_news"
CHANNEL_TITLE = "Sandbox news"
SETTLE_TIMEOUT = 5.0  # seconds at most to wait for the bot after an input
WATCH_EVERY = 0.5  # seconds: how soon a push shows while the user is typing


@dataclass
class Pick:
    """One numbered thing on screen: a button (of a message) or an inline result."""

    button: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    result: dict[str, Any] | None = None


@dataclass
class Inline:
    """The last inline query: @more asks for its next page."""

    query: str
    next_offset: str = ""


class Session:
    """The sandbox user (one Telegram user) in their private chat or the sandbox group."""

    def __init__(self, harness: Harness, user: FakeUser, style: Style, out: TextIO) -> None:
        self.harness = harness
        self.api: FakeBotAPI = harness.api
        self.style = style
        self.out = out
        self.private = ChatUser(harness, user)
        self.group = ChatUser(harness, user, self.api.group_chat(GROUP_ID, GROUP_TITLE))
        self.in_group = False
        self.group_joined = False
        self.role = "administrator"
        self.newest: list[Pick] = []  # what a bare number picks
        self.numbered: list[Pick] = []  # what #n and [label] pick: the newest buttons shown
        self.inline: Inline | None = None
        self.shown = self.api.last_seq

    # -- where the user is --------------------------------------------------------------

    @property
    def chat_user(self) -> ChatUser:
        return self.group if self.in_group else self.private

    @property
    def prompt(self) -> str:
        if not self.in_group:
            return "you> "
        return "you [group, admin]> " if self.role == "administrator" else "you [group, member]> "

    def chat_name(self, chat_id: int) -> str:
        if chat_id == GROUP_ID:
            return f"group {GROUP_TITLE}"
        if chat_id == CHANNEL_ID:
            return f"channel {CHANNEL_TITLE}"
        return "private chat"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        self.say(self.style.dim(f"({text})"))

    # -- one input ----------------------------------------------------------------------

    async def handle(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        command, _, rest = text.partition(" ")
        rest = rest.strip()
        if command == "/sandbox":
            self.say(HELP)
        elif command == "/as":
            await self.switch(rest)
        elif command == "/clock":
            await self.clock(rest)
        elif text == "@more":
            await self.more()
        elif command in ("/inline", "@", f"@{self.api.username}"):
            await self.run_inline(rest)
        elif text.startswith(">") and self.in_group:
            await self.reply_in_group(text[1:].strip())
        elif (pick := self.picked(text)) is not None:
            await self.use(pick)
        elif re.fullmatch(r"#\d+|\[.+\]", text):
            self.note(f"there is no button {text} on screen")
        else:
            await self.send(text)

    def picked(self, text: str) -> Pick | None:
        """A bare number only when the newest message offers it; #n and [label] always
        mean a button (of the newest message that has buttons)."""
        if text.isdigit() and 1 <= int(text) <= len(self.newest):
            return self.newest[int(text) - 1]
        if re.fullmatch(r"#\d+", text):
            index = int(text[1:]) - 1
            return self.numbered[index] if 0 <= index < len(self.numbered) else None
        if len(text) > 2 and text.startswith("[") and text.endswith("]"):
            wanted = text[1:-1]
            return next((p for p in self.numbered if p.button and wanted in p.button["text"]), None)
        return None

    async def send(self, text: str, reply_to: dict[str, Any] | None = None) -> None:
        user = self.chat_user
        await self.updates(
            lambda: self.api.message_update(user.user, text, user.chat, reply_to=reply_to)
        )

    async def reply_in_group(self, text: str) -> None:
        mine = [
            m
            for (chat_id, _), m in self.api.state.messages.items()
            if chat_id == GROUP_ID and m.get("from", {}).get("id") == BOT_ID
        ]
        if not mine or not text:
            self.note("nothing of the bot's to reply to here" if text else "reply with what?")
            return
        await self.send(text, reply_to=max(mine, key=lambda m: m["message_id"]))

    async def use(self, pick: Pick) -> None:
        if pick.result is not None:
            await self.choose(pick.result)
            return
        button, message = pick.button or {}, pick.message or {}
        if "callback_data" in button:
            data = button["callback_data"]
            await self.updates(lambda: self.api.callback_update(self.chat_user.user, message, data))
        elif button.get("url"):
            await self.open_link(button["url"])
        elif "switch_inline_query_current_chat" in button:
            await self.run_inline(button["switch_inline_query_current_chat"])
        elif "switch_inline_query" in button:
            await self.run_inline(button["switch_inline_query"])
        else:
            self.note("this button does nothing in the sandbox")

    async def open_link(self, url: str) -> None:
        """A link to the bot opens its private chat (with /start and the link's parameter,
        as Telegram does); other links are only shown."""
        own = re.fullmatch(rf"https://t\.me/{re.escape(self.api.username)}(?:\?start=(\S+))?", url)
        if own is None:
            self.note(f"a link to {url}: open it in a browser; the sandbox stays offline")
            return
        self.note(f"{url} opens your private chat with @{self.api.username}")
        self.in_group = False
        await self.send(f"/start {own.group(1)}" if own.group(1) else "/start")

    async def updates(self, *make: Callable[[], int], quiet: bool = False) -> None:
        """Inject updates one by one, each handled in full, then show what arrived. Pushes
        wait until the updates are handled: the same transcript every time."""
        before = self.harness.bot_tasks()
        async with self.harness.pushes_held():
            for inject in make:
                await self.api.wait_done(inject())
        await self.show(before, quiet=quiet)

    # -- chats ----------------------------------------------------------------------------

    async def switch(self, where: str) -> None:
        if where == "private":
            self.in_group = False
            self.note("in your private chat with the bot")
            self.newest = []
            return
        if where not in ("group", "member"):
            self.note("/as private, /as group (you are its admin) or /as member")
            return
        self.role = "administrator" if where == "group" else "member"
        self.api.state.members[(GROUP_ID, self.private.user.id)] = self.role
        self.in_group = True
        self.newest = []
        role = "its admin" if where == "group" else "a member, not an admin"
        self.note(f"in the group «{GROUP_TITLE}», as {role}")
        if not self.group_joined:  # the bot is added to the group: it is told so
            self.group_joined = True
            group = self.group
            await self.updates(
                lambda: self.api.member_update(group.user, group.chat, "left", "member"), quiet=True
            )

    # -- inline mode ------------------------------------------------------------------------

    async def run_inline(self, query: str, offset: str = "") -> None:
        chat_type = "supergroup" if self.in_group else "sender"
        before = self.harness.bot_tasks()
        async with self.harness.pushes_held():
            answer = await self.chat_user.inline(query, offset, chat_type)
        await self.show(before, quiet=True)
        results = answer.get("results") or []
        self.inline = Inline(query, answer.get("next_offset") or "")
        first = int(offset) + 1 if offset.isdigit() else 1
        shown = f"{first}–{first + len(results) - 1}" if results else "none"
        more = ", @more for the next page" if self.inline.next_offset else ""
        title = f"@{self.api.username} {query}".rstrip()
        self.say(f"inline ({title}): results {shown}{more}")
        self.newest = []
        for number, result in enumerate(results, start=1):
            self.newest.append(Pick(result=result))
            line = f"{INDENT}[{number}] {self.style.bold(str(result.get('title', '')))}"
            if result.get("description"):
                line += f"\n{INDENT}    {result['description']}"
            self.say(line)

    async def more(self) -> None:
        if self.inline is None or not self.inline.next_offset:
            self.note("no more inline results")
            return
        await self.run_inline(self.inline.query, self.inline.next_offset)

    async def choose(self, result: dict[str, Any]) -> None:
        """Post the chosen result into the chat, as the user's message "via @bot"."""
        content = result.get("input_message_content") or {}
        html = str(content.get("message_text", ""))
        visible = html_to_text(html) if content.get("parse_mode") == "HTML" else html
        user = self.chat_user
        via = {"id": BOT_ID, "is_bot": True, "first_name": "UN", "username": self.api.username}
        extra: dict[str, Any] = {"via_bot": via}
        if result.get("reply_markup"):
            extra["reply_markup"] = result["reply_markup"]
        query = self.inline.query if self.inline else ""
        body = html_to_terminal(html, self.style) if content.get("parse_mode") else html
        self.say(f"you (via @{self.api.username})> {indent(body)}")

        def post() -> int:
            update_id = self.api.message_update(user.user, visible, user.chat, extra=extra)
            self.list_buttons(self.api.state.updates[-1]["message"])
            return update_id

        def chosen() -> int:  # only for a bot that asks for these (allowed_updates)
            return self.api.chosen_inline_update(user.user, str(result.get("id")), query)

        asks = "chosen_inline_result" in self.harness.allowed_updates
        await self.updates(post, *((chosen,) if asks else ()), quiet=True)

    # -- the clock --------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.harness.services.now()

    async def clock(self, when: str) -> None:
        if when:
            target = parse_clock(when, self.now())
            if target is None:
                self.note("/clock 2027-03-02 08:59, /clock 09:00, /clock +1h or +1d")
                return
            before = self.harness.bot_tasks()
            await self.harness.travel_to(target)
            self.note(f"the clock is now {clock_text(self.now())}")
            if target < dt.datetime.now(dt.UTC):
                # The outbox dates news by the real clock (bot/storage): it waits for it.
                self.note("before the real time: news posted now waits until the clock passes it")
            await self.show(before, quiet=True)
            return
        state = "set by /clock" if self.harness.now_fixed else "running"
        self.note(f"the clock: {clock_text(self.now())} ({state})")

    # -- what arrived -----------------------------------------------------------------------

    async def show(self, before: set[asyncio.Task[Any]], *, quiet: bool = False) -> None:
        """Everything the user's chats received since the last input, in order."""
        await self.harness.settle(before, timeout=SETTLE_TIMEOUT)
        calls = [c for c in self.api.calls(after=self.shown) if self.visible(c)]
        self.shown = self.api.last_seq
        pushed = await self.harness.pushed() if calls else set()
        lines: list[str] = []
        for call in self.in_order(calls, pushed):
            lines += self.render(call, pushed)
        if not lines and not quiet:
            lines.append("bot> (no answer)")
        if lines:
            self.say("\n".join(lines))

    async def watch(self, reader: LineReader) -> None:
        """On a terminal, what arrives while the user types (a reminder at its hour, with
        the clock running) is shown above the prompt at once."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            last = self.api.last_seq
            calls = [c for c in self.api.calls(after=self.shown) if c.seq <= last]
            self.shown = last
            calls = [c for c in calls if self.visible(c)]
            if not calls:
                continue
            pushed = await self.harness.pushed()
            lines = [
                line for call in self.in_order(calls, pushed) for line in self.render(call, pushed)
            ]
            self.out.write("\r\x1b[K" + "\n".join(lines) + "\n" + reader.redraw(self.prompt))
            self.out.flush()

    def in_order(self, calls: list[Call], pushed: set[tuple[int, int]]) -> list[Call]:
        """As they were made, except that pushes sent together (one broadcast to several
        chats, at the same moment) come in a fixed order of chats: private, group, channel."""
        rank = {self.private.chat_id: 0, GROUP_ID: 1, CHANNEL_ID: 2}
        ordered: list[Call] = []
        run: list[Call] = []
        for call in [*calls, None]:
            if call is not None and _message_key(call) in pushed:
                run.append(call)
                continue
            ordered += sorted(run, key=lambda c: rank.get(_message_key(c)[0], 3))
            run = []
            if call is not None:
                ordered.append(call)
        return ordered

    def visible(self, call: Call) -> bool:
        if call.error is not None or call.method == "sendChatAction":
            return False
        if call.method == "answerCallbackQuery":
            return bool(call.params.get("text"))
        chat_id = call.params.get("chat_id")
        chats = (self.private.chat_id, GROUP_ID, CHANNEL_ID)
        return chat_id in chats and call.method.startswith(("send", "edit", "delete"))

    def render(self, call: Call, pushed: set[tuple[int, int]]) -> list[str]:
        if call.method == "answerCallbackQuery":
            tag = "alert" if call.params.get("show_alert") else "notice"
            return [f"bot ({tag})> {indent(str(call.params.get('text', '')))}"]
        chat_id = int(call.params["chat_id"])
        here = chat_id == self.chat_user.chat_id
        if call.method == "deleteMessage":
            return [self.style.dim("(the bot deleted one of its messages)")]
        message = call.result if isinstance(call.result, dict) else {}
        tags = ["edited"] if call.method.startswith("edit") else []
        if (chat_id, message.get("message_id")) in pushed:
            tags.append("push")
        if not here:
            tags.append(f"in {self.chat_name(chat_id)}")
        prefix = f"bot ({', '.join(tags)})> " if tags else "bot> "
        body = call_body(call.params, message, self.style)
        lines = [prefix + indent(body)] if body else [prefix.rstrip()]
        sent = message.get("document") or (message.get("photo") or [None])[-1]
        if sent:
            path = self.api.state.files.get(sent["file_id"])
            lines.append(f"{INDENT}[file saved: {path}]" if path else f"{INDENT}[file]")
        if here:  # the buttons as this call set them, on the message they belong to
            markup = call.params.get("reply_markup") or {}
            lines += self.list_buttons({**message, "reply_markup": markup}, quiet=True)
        elif call.params.get("reply_markup"):
            lines.append(f"{INDENT}(buttons: /as {'group' if chat_id == GROUP_ID else 'private'})")
        return lines

    def list_buttons(self, message: dict[str, Any], quiet: bool = False) -> list[str]:
        """Number the message's buttons: it is now the newest message on screen."""
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        self.newest = [Pick(button=b, message=message) for row in rows for b in row]
        if self.newest:
            self.numbered = self.newest
        lines, first = [], 1
        for row in rows:
            lines.append(button_line(row, first))
            first += len(row)
        if not quiet:
            for line in lines:
                self.say(line)
        return lines


def _message_key(call: Call) -> tuple[int, int]:
    result = call.result if isinstance(call.result, dict) else {}
    return int(call.params.get("chat_id") or 0), int(result.get("message_id") or 0)
