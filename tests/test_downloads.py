"""/timeline and /calendar end to end: a picture per language reused by file_id, an .ics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fakegram.harness import Harness
from fakegram.pgserver import database_env

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("lang", ["ru", "tg", "en"])
async def test_timeline_is_uploaded_once_then_reused(harness: Harness, lang: str) -> None:
    user = harness.user(language_code=lang)
    first = (await user.send("/timeline")).last
    upload = harness.api.calls("sendPhoto")[-1]
    filename, body = upload.params["photo"]
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and filename == f"timeline-{lang}.png"
    assert "/history" in first.text
    await user.send("/timeline")
    reused = harness.api.calls("sendPhoto")[-1]
    assert reused.params["photo"] == first.message["photo"][-1]["file_id"]  # no new upload
    other = harness.user(language_code="ru" if lang != "ru" else "en")
    await other.send("/timeline")
    assert isinstance(harness.api.calls("sendPhoto")[-1].params["photo"], tuple)  # its own language


async def test_file_id_survives_a_restart(harness: Harness) -> None:
    user = harness.user(language_code="tg")
    first = (await user.send("/timeline")).last
    await harness.restart()
    await user.send("/timeline")
    assert (
        harness.api.calls("sendPhoto")[-1].params["photo"] == first.message["photo"][-1]["file_id"]
    )


@pytest.mark.parametrize(
    ("lang", "summary"),
    [
        ("ru", "SUMMARY:Таджикистан стал членом ООН (1992)"),
        ("tg", "SUMMARY:Тоҷикистон узви СММ шуд (соли 1992)"),
        ("en", "SUMMARY:Tajikistan became a Member of the United Nations (1992)"),
    ],
)
async def test_calendar_file_in_the_users_language(
    harness: Harness, lang: str, summary: str
) -> None:
    await harness.user(language_code=lang).send("/calendar")
    call = harness.api.calls("sendDocument")[-1]
    filename, body = call.params["document"]
    assert filename == f"un-tajikistan-anniversaries-{lang}.ics"
    text = body.decode()
    assert text.startswith("BEGIN:VCALENDAR") and "RRULE:FREQ=YEARLY" in text
    assert summary in text.replace("\r\n ", "")


def test_sandbox_saves_pictures_and_prints_their_path(
    tmp_path: Path, db_target: Path | str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"],
        input="/calendar\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            **database_env(db_target),  # a SQLite file or DATABASE_URL
        },
    )
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if "[file saved:" in ln)
    path = Path(line.split("[file saved:")[1].strip(" ]"))
    assert path.exists() and path.read_bytes().startswith(b"BEGIN:VCALENDAR")
