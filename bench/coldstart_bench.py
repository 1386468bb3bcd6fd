"""Cold start: from starting the bot's process to its first reply to /start.

Each run starts a fresh FakeBotAPI on 127.0.0.1 in this process, queues a /start from a
new user, then starts the bot as a subprocess with TELEGRAM_BOT_TOKEN (the fake token),
BOT_API_BASE_URL (the fake server) and a fresh DATABASE_PATH, and measures from the
moment before the subprocess is spawned to the sendMessage answering that /start arriving
at the fake server (Call.at; CLOCK_MONOTONIC is shared by the processes). The bot is
then stopped with SIGINT, as an operator would.

- shipped content: the real `python -m bot run`;
- shipped content, instrumented: bench._coldstart_child, the same bot.__main__ code path
  with each start phase timed (for the breakdown);
- ×100 content: written as TOML to a temporary folder (bench.common.write_content_dir),
  started with bench._coldstart_child, since `python -m bot run` always reads content/.

    python -m bench.coldstart_bench [--full]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    Report,
    below,
    info,
    log,
    main,
    median,
    multiply_content,
    write_content_dir,
)
from bot.content.model import CONTENT_DIR
from bot.content.validation import read_content
from fakegram.protocol import FAKE_TOKEN
from fakegram.records import FakeUser
from fakegram.server import FakeBotAPI

TARGET_S = 2.0


async def one_start(
    tmp: Path, command: list[str], timeout: float, db_path: Path | None = None
) -> dict[str, Any]:
    """Start the bot once (on a fresh database, or on `db_path` as a restart would);
    seconds to the first reply, the phases (if instrumented), how long the stop took."""
    api = FakeBotAPI()
    await api.start()
    run_dir = Path(tempfile.mkdtemp(dir=tmp))
    phases_file = run_dir / "phases.json"
    user = FakeUser(424242, "Cold", "en")
    api.message_update(user, "/start")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "BOT_API_BASE_URL": api.url,
        "DATABASE_PATH": str(db_path or run_dir / "bot.sqlite3"),
        "BENCH_PHASES": str(phases_file),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PUSH_RATE", None)
    stderr = (run_dir / "stderr.log").open("wb")
    spawned = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
    )
    result: dict[str, Any] = {}
    try:
        call = await api.wait_for_call(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == user.id,
            timeout=timeout,
        )
        result["first_reply_s"] = call.at - spawned
    except TimeoutError:
        result["error"] = f"no reply within {timeout:.0f} s"
    finally:
        stopping = time.monotonic()
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        result["stop_s"] = time.monotonic() - stopping
        stderr.close()
        await api.stop()
    if "error" in result:
        log_tail = (run_dir / "stderr.log").read_text(errors="replace")[-1500:]
        result["error"] += f"; exit code {proc.returncode}; stderr: {log_tail}"
    if phases_file.exists():
        phases = json.loads(phases_file.read_text())
        result["phases"] = {name: (b - spawned, e - spawned) for name, (b, e) in phases.items()}
    return result


def describe(phases: dict[str, tuple[float, float]], first_reply: float) -> str:
    """ "name 0.12 s" for each phase, in the order they started (nested ones indented)."""
    ordered = sorted(phases.items(), key=lambda kv: kv[1][0])
    parts = [f"interpreter start {ordered[0][1][0]:.2f} s"] if ordered else []
    for name, (begin, end) in ordered[1:]:
        parts.append(f"{name} {end - begin:.2f} s")
    post = phases.get("post_init (everything below)")
    if post:
        parts.append(f"post_init end → first reply {first_reply - post[1]:.2f} s")
    return "; ".join(parts)


async def series(
    tmp: Path,
    label: str,
    command: list[str],
    runs: int,
    timeout: float,
    db_path: Path | None = None,
) -> tuple[list[float], list[dict[str, Any]]]:
    times, results = [], []
    for i in range(runs):
        result = await one_start(tmp, command, timeout, db_path)
        results.append(result)
        if "first_reply_s" in result:
            times.append(result["first_reply_s"])
            log(f"coldstart: {label} run {i + 1}: {result['first_reply_s']:.2f} s")
        else:
            log(f"coldstart: {label} run {i + 1}: {result.get('error')}")
    return times, results


def median_phases(results: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    names = {n for r in results for n in r.get("phases", {})}
    out = {}
    for name in names:
        spans = [r["phases"][name] for r in results if name in r.get("phases", {})]
        out[name] = (median([b for b, _ in spans]), median([e for _, e in spans]))
    return out


async def load_steps(content_dir: Path, tmp: Path) -> dict[str, float]:
    """ContentStore.load's steps timed one by one, in this process, with its functions."""
    from bot.content.store import from_rows, to_rows
    from bot.search import build_docs
    from bot.storage import Database

    steps: dict[str, float] = {}
    began = time.perf_counter()
    content = read_content(content_dir)
    steps["read and validate the TOML files"] = time.perf_counter() - began
    began = time.perf_counter()
    docs = [(d.kind, d.item_id, d.lang, d.keys, d.exact, d.loose) for d in build_docs(content)]
    steps["build_docs (fold and transliterate every text)"] = time.perf_counter() - began
    db = await Database.open(tmp / "steps.sqlite3")
    try:
        began = time.perf_counter()
        await db.content.replace(to_rows(content), "bench", docs)
        steps["replace_content (rows and FTS5 index in SQLite)"] = time.perf_counter() - began
        began = time.perf_counter()
        from_rows(await db.content.items())
        steps["read back and rebuild the snapshot"] = time.perf_counter() - began
    finally:
        await db.close()
    return steps


async def run(args: argparse.Namespace, report: Report) -> None:
    runs = args.runs or (3 if args.full else 1)
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log("coldstart: writing the ×100 content")
        big_dir = write_content_dir(
            multiply_content(read_content(CONTENT_DIR), args.factor), tmp / "content"
        )
        child = [python, "-m", "bench._coldstart_child"]
        shipped, _ = await series(
            tmp, "shipped, python -m bot run", [python, "-m", "bot", "run"], runs, 60
        )
        _, instrumented = await series(
            tmp, "shipped, instrumented", [*child, str(CONTENT_DIR)], 1, 60
        )
        big, big_results = await series(
            tmp, f"×{args.factor}, instrumented", [*child, str(big_dir)], runs, 180
        )
        kept = tmp / "kept.sqlite3"  # a restart: the database already holds this content
        await series(tmp, f"×{args.factor}, first start", [*child, str(big_dir)], 1, 180, kept)
        again, again_results = await series(
            tmp, f"×{args.factor}, restart", [*child, str(big_dir)], runs, 180, kept
        )
        log(f"coldstart: the steps of loading ×{args.factor}, one by one")
        steps = await load_steps(big_dir, tmp)
    errors = [r["error"] for r in (*instrumented, *big_results, *again_results) if "error" in r]
    report.add(
        below(
            "shipped_s",
            f"first reply to /start after process start, shipped content (median of {len(shipped)})",
            median(shipped) if shipped else None,
            TARGET_S,
            "s",
            digits=2,
        ),
        info("shipped_min", "… fastest run", min(shipped) if shipped else None, "s", digits=2),
        info(
            "big_s",
            f"first reply to /start, ×{args.factor} content (median of {len(big)})",
            median(big) if big else None,
            "s",
            digits=2,
        ),
        below(
            "restart_s",
            f"first reply to /start, ×{args.factor} content, restart with the files unchanged "
            f"(median of {len(again)})",
            median(again) if again else None,
            TARGET_S,
            "s",
            digits=2,
        ),
        info(
            "stop_s",
            "graceful stop after SIGINT (shipped, median)",
            median([r["stop_s"] for r in instrumented]),
            "s",
            digits=2,
        ),
    )
    if instrumented and "phases" in instrumented[0] and "first_reply_s" in instrumented[0]:
        report.notes.append(
            "start phases, shipped content (seconds since spawn; nested phases inside "
            "post_init): " + describe(instrumented[0]["phases"], instrumented[0]["first_reply_s"])
        )
    if big:
        phases = median_phases(big_results)
        report.notes.append(
            f"start phases, ×{args.factor} content (medians): " + describe(phases, median(big))
        )
    report.notes.append(
        f"content load at ×{args.factor}, its steps timed one by one in one process: "
        + "; ".join(f"{name} {seconds:.2f} s" for name, seconds in steps.items())
        + " (a first start on a fresh database does all of them; a restart with the files "
        "unchanged compares their digest with the stored one and only reads the rows back)"
    )
    if again and median(again) >= TARGET_S:
        phases = median_phases(again_results)
        report.analysis.append(
            f"Restart at ×{args.factor} over target; its phases: "
            + describe(phases, median(again))
        )
    report.notes.append(
        "each run: a fresh fake Bot API and (but for the restarts) database, a /start "
        "queued before the process "
        "starts; timed from just before the spawn to the reply's arrival at the fake server"
    )
    for error in errors:
        report.notes.append(f"failed run: {error}")
    if shipped and median(shipped) >= TARGET_S and instrumented and "phases" in instrumented[0]:
        report.analysis.append(
            "Shipped cold start over target; phases above: "
            + describe(instrumented[0]["phases"], instrumented[0]["first_reply_s"])
        )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, help="starts per variant")
    parser.add_argument("--factor", type=int, default=100, help="content multiplier")


if __name__ == "__main__":
    raise SystemExit(main("coldstart_bench", "Cold start to the first reply", run, configure))
