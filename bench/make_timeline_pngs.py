"""Write docs/timeline-{ru,tg,en}.png from the shipped content (to look at the layout)."""

from __future__ import annotations

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.content.validation import read_content  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.timeline_image import render_timeline  # noqa: E402


def main() -> None:
    content = read_content()
    i18n = I18n()
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    for tr in i18n.all():
        png = render_timeline(tr, content)
        width, height = struct.unpack(">II", png[16:24])
        path = docs / f"timeline-{tr.lang}.png"
        path.write_bytes(png)
        print(f"{path.relative_to(ROOT)}: {width}×{height} px, {len(png) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
