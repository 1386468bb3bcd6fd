"""`python -m bot sandbox` driven as a script would drive it: stdin piped, a real process.

The same walk is in the README's "Try it" section; test_readme_walk_is_a_real_transcript
checks that it is what the sandbox prints (SANDBOX_README=write rewrites it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# The README's walk: a year search, buttons by number and by label, inline mode with a
# second page and a shared result, a URL button, a group member refused, a staff /post
# delivered as a push, a subscription and the clock moved to the morning of 2 March.
WALK_ARGS = ["--staff", "--clock", "2027-02-28 12:00"]
WALK = """\
1997
2
@ UN
@more
@ glaciers
1
1
/as member
/settings
/as private
/subscribe
/post
Glacier Day, 21 March: join us at UN House.
[Skip]
[Skip]
[Send]
/clock 2027-03-02 08:59
/clock 09:00
"""


def sandbox(script: str, args: list[str] | None = None, tmp: Path | None = None, **env: str) -> str:
    """Run the sandbox on a fresh database in `tmp` (or the given one); its stdout."""
    assert tmp is not None
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "BOT_API", "DATABASE_", "ADMIN_", "TIMEZONE", "LOG_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox", *(args or [])],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
        env={
            **clean,
            "PYTHONPATH": str(ROOT),
            "DATABASE_PATH": str(tmp / "sandbox.sqlite3"),
            **env,
        },
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def answer_to(out: str, line: str) -> str:
    """What the sandbox printed after the input `line` (up to the next input)."""
    start = out.index(f"> {line}\n") + len(line) + 3
    following = re.search(r"^you(?: \[[^\]\n]*\])?> ", out[start:], re.M)
    return out[start : start + following.start()] if following else out[start:]


def test_a_year_is_a_search_and_numbers_press_only_the_newest_buttons(tmp_path: Path) -> None:
    out = sandbox("/start\n1997\n1\n7\n#1\n", tmp=tmp_path)
    assert "[4] ⏳ Anniversaries" in answer_to(out, "/start")
    found = answer_to(out, "1997")
    assert found.startswith("bot> Found for “1997”:") and "[1] 1  [2] 2" in found
    assert answer_to(out, "1").startswith("bot> 📅 27 June 1997")  # the search's button 1
    # the event has one button (the main menu): "7" is a message, a search for 7
    assert answer_to(out, "7").startswith(("bot> Found for “7”", "bot> I found nothing for “7”"))
    assert "there is no button" not in out
    # "#1": button 1 of the newest message that has buttons, whatever came after
    pressed = answer_to(out, "#1")
    assert pressed.startswith("bot") and "there is no button" not in pressed  # 👍 under the event
    assert "Found for" not in pressed.split("\n")[0]


def test_buttons_by_label_and_an_unknown_label(tmp_path: Path) -> None:
    out = sandbox("/start\n[History]\n[no such label]\n", tmp=tmp_path)
    assert "Period 1 of" in answer_to(out, "[History]")
    assert answer_to(out, "[no such label]") == "(there is no button [no such label] on screen)\n"


def test_url_and_switch_inline_buttons(tmp_path: Path) -> None:
    out = sandbox("@ glaciers\n3\n[Search again]\n#1\n", tmp=tmp_path)
    shared = answer_to(out, "3")
    assert shared.startswith("you (via @un_tj_test_bot)> 📅 14 December 2022")
    link = re.search(r"\[1\] 🇺🇳 Open the bot <(https://t\.me/un_tj_test_bot\?start=\S+)>", shared)
    assert link is not None and "[2] 🔎 Search again (@ glaciers)" in shared
    again = answer_to(out, "[Search again]")  # runs the query the button carries
    assert again.startswith("inline (@un_tj_test_bot glaciers): results 1–5")
    opened = answer_to(out, "#1")  # the link opens the bot's chat with /start and its parameter
    assert opened.startswith(f"({link.group(1)} opens your private chat with @un_tj_test_bot)")
    assert "bot> 📅 14 December 2022" in opened


def test_other_links_are_only_shown(tmp_path: Path) -> None:
    out = sandbox("/search\n1\n", tmp=tmp_path)
    assert "[1] 🔎 Search here (@)" in answer_to(out, "/search")
    assert answer_to(out, "1").startswith("inline (@un_tj_test_bot): results 1–")


def test_inline_query_and_its_second_page(tmp_path: Path) -> None:
    out = sandbox("@ UN\n@more\n/inline glaciers\n@more\n", tmp=tmp_path)
    first = answer_to(out, "@ UN")
    assert first.startswith("inline (@un_tj_test_bot UN): results 1–20, @more for the next page")
    assert answer_to(out, "@more").startswith("inline (@un_tj_test_bot UN): results 21–")
    assert "[20] " in first
    assert answer_to(out, "/inline glaciers").startswith("inline (@un_tj_test_bot glaciers)")
    assert out.rstrip().endswith("(no more inline results)")


def test_a_shared_inline_result_is_not_taken_for_a_search(tmp_path: Path) -> None:
    out = sandbox("@ glaciers\n1\n/help\n", tmp=tmp_path)
    shared = answer_to(out, "1")
    assert shared.startswith("you (via @un_tj_test_bot)> ")
    assert "bot>" not in shared  # neither "Found for …" nor "I can read only text"


def test_in_a_group_a_member_is_refused_settings_and_an_admin_is_not(tmp_path: Path) -> None:
    script = "/as member\n/settings\n/subscribe\nhello\n/as group\n/settings\n> UNICEF\n"
    out = sandbox(script, tmp=tmp_path)
    assert answer_to(out, "/as member") == (
        "(in the group «Sandbox group», as a member, not an admin)\n"
    )
    assert "you [group, member]> /settings" in out
    assert answer_to(out, "/settings").startswith(
        "bot> Only the group's admins can change its settings.\n"
    )
    assert answer_to(out, "hello") == "bot> (no answer)\n"  # the bot ignores group chatter
    admin = out[out.index("you [group, admin]> /settings") :]
    assert "bot> The group's settings" in admin
    assert answer_to(out, "> UNICEF").startswith("bot> Found for “UNICEF”:")  # a reply to it


def test_staff_post_is_pushed_and_appears_as_a_push(tmp_path: Path) -> None:
    script = "/subscribe\n/post\nNews from the sandbox\n[Skip]\n[Skip]\n[Send]\n/broadcasts\n"
    out = sandbox(script, ["--staff", "--clock", "2027-02-10 12:00"], tmp=tmp_path)
    sent = answer_to(out, "[Send]")
    assert "bot (edited)> Queued for 1 subscriber." in sent
    assert "bot (push)> News from the sandbox" in sent
    assert "bot (edited)> ✅ Broadcast finished\n     Sent: 1" in sent
    assert sent.index("Sending…") < sent.index("(push)") < sent.index("Broadcast finished")
    # not staff: /post is a command the bot does not know
    (tmp_path / "plain").mkdir()
    other = sandbox("/post\n", tmp=tmp_path / "plain")
    assert "I don't know this command" in answer_to(other, "/post")


def test_staff_channel_gets_the_news_as_a_push(tmp_path: Path) -> None:
    script = "/channel\n@sandbox_news\n[News]\n/post\nFor the channel\n[Skip]\n[Skip]\n[Send]\n"
    out = sandbox(script, ["--staff"], tmp=tmp_path)
    assert "bot (push, in channel Sandbox news)> For the channel" in answer_to(out, "[Send]")


def test_the_reminder_comes_at_the_users_hour_in_their_language(tmp_path: Path) -> None:
    script = (
        "/subscribe\n[10]\n/clock\n/clock 2027-03-02 08:59\n/clock 09:59\n"
        "/clock 2027-03-02 10:00\n"
    )
    out = sandbox(
        script, ["--telegram-language", "tg", "--clock", "2027-03-01 08:00"], tmp=tmp_path
    )
    assert "10:00" in answer_to(out, "[10]")
    assert (
        answer_to(out, "/clock")
        == "(the clock: Monday 01 March 2027, 08:00, Asia/Dushanbe (set by /clock))\n"
    )
    assert answer_to(out, "/clock 2027-03-02 08:59").count("push") == 0
    assert answer_to(out, "/clock 09:59").count("push") == 0
    due = answer_to(out, "/clock 2027-03-02 10:00")
    assert due.startswith("(the clock is now Tuesday 02 March 2027, 10:00, Asia/Dushanbe)\n")
    assert "bot (push)> 📅 Дар ҳамин рӯз, 35 сол пеш: Тоҷикистон узви СММ" in due


def test_no_empty_lines_for_chat_actions_and_files_are_saved(tmp_path: Path) -> None:
    out = sandbox("/timeline\n", tmp=tmp_path)
    assert not [line for line in out.splitlines() if line.strip() in ("bot>", "bot> ")]
    saved = re.search(r"\[file saved: (.+)\]", out)
    assert saved is not None and Path(saved.group(1)).is_file()
    assert Path(saved.group(1)).parent == tmp_path / "sandbox-files"


def test_formatting_plain_when_piped_and_links_with_their_address(tmp_path: Path) -> None:
    out = sandbox("/start\n1997\n1\n", tmp=tmp_path)
    assert "\x1b[" not in out
    assert "Source: Security Council resolution 1128 (1997) <https://undocs.org/" in out


def test_the_same_script_gives_the_same_transcript(tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        folder = tmp_path / str(n)
        folder.mkdir()
        runs.append(sandbox(WALK, WALK_ARGS, tmp=folder))
    assert runs[0] == runs[1]


def test_readme_walk_is_a_real_transcript(tmp_path: Path) -> None:
    transcript = sandbox(WALK, WALK_ARGS, tmp=tmp_path)
    for must in (
        "bot> Found for “1997”:",
        "results 21–40",
        "opens your private chat",
        "Only the group's admins",
        "bot (push)> Glacier Day, 21 March",
        "bot (push)> 📅 Today, 35 years ago: Tajikistan became a Member of the United Nations",
    ):
        assert must in transcript
    block = f"```text\n$ .venv/bin/python -m bot sandbox {' '.join(_quoted(WALK_ARGS))}\n{transcript}```"
    text = README.read_text(encoding="utf-8")
    current = re.search(r"```text\n\$ \.venv/bin/python -m bot sandbox[^\n]*\n.*?```", text, re.S)
    assert current is not None, "README has no sandbox transcript"
    if os.environ.get("SANDBOX_README") == "write":
        README.write_text(text.replace(current.group(0), block), encoding="utf-8")
    assert current.group(0) == block, "README's walk is stale: SANDBOX_README=write pytest …"


def _quoted(args: list[str]) -> list[str]:
    return [f"'{a}'" if " " in a else a for a in args]
