from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.content import CONTENT_DIR
from bot.harness import Harness

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
