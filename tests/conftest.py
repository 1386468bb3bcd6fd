from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content.model import CONTENT_DIR
from fakegram.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CONTENT = Path(__file__).resolve().parent / "fixtures" / "content"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with Harness(tmp_path) as h:
        yield h


@pytest.fixture
def small_content(tmp_path: Path) -> Path:
    """A small valid content folder (with the seeds) that a test may break on purpose."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    shutil.copytree(CONTENT_DIR / "seeds", target / "seeds")
    return target


@pytest.fixture(scope="session")
def ci_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines a test wants shown at the end of the run (CI logs capture no stdout)."""
    lines: list[str] = request.config.stash.setdefault(REPORT_KEY, [])
    return lines


REPORT_KEY = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = config.stash.get(REPORT_KEY, [])
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
