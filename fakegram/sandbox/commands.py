"""What the sandbox user can type besides messages to the bot: its help, and the clock."""

from __future__ import annotations

import datetime as dt
import re

HELP = """\
Sandbox: you are chatting with the real bot on a fake Telegram. Type /start.
  a number        presses that button of the newest message (or picks an inline result)
  #3, [label]     presses button 3, or the one whose label contains the text
  @ glaciers      inline mode (or /inline glaciers); @more: the next page
  /as group       a group where you are admin; /as member: a plain member; /as private
  > text          in a group: reply to the bot's newest message
  /clock 2027-03-02 08:59   move the clock (also +1h, +1d, 09:00); /clock shows it
  /sandbox        this help; Ctrl-D or Ctrl-C quits
Anything else is a message to the bot ("1997" searches for 1997)."""


def parse_clock(text: str, now: dt.datetime) -> dt.datetime | None:
    """ "2027-03-02 08:59", "2027-03-02", "09:00" (today) or "+1h", "+30m", "+2d", in the
    bot's time zone (that of `now`)."""
    relative = re.fullmatch(r"\+(\d+)([mhd])", text)
    if relative:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[relative.group(2)]
        return now + dt.timedelta(**{unit: int(relative.group(1))})
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=now.tzinfo)
        except ValueError:
            continue
    try:
        hour = dt.datetime.strptime(text, "%H:%M")
    except ValueError:
        return None
    return now.replace(hour=hour.hour, minute=hour.minute, second=0, microsecond=0)


def clock_text(when: dt.datetime) -> str:
    return f"{when:%A %d %B %Y, %H:%M}, {when.tzinfo}"
