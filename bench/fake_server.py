"""The fake Bot API in a process of its own, so the bot side of a benchmark has a core to
itself (as it would with Telegram on the other end of a network).

    python -m bench.fake_server [--rate N]

prints "URL http://127.0.0.1:<port>" once listening, then answers commands on stdin, one
a line: "stats" prints one JSON line (sendMessage arrivals, errors, 429s, the server's CPU
seconds), "reset" forgets the calls so far, "quit" (or end of input) stops it.
`FakeServer` drives it from a benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from asyncio.subprocess import PIPE
from typing import Any

from bench.common import cpu_seconds
from fakegram.server import FakeBotAPI


async def serve(rate: int | None) -> None:
    api = FakeBotAPI(rate_limit_per_second=rate)
    await api.start()
    print(f"URL {api.url}", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "stats":
            sends = [c for c in api.state.calls if c.method == "sendMessage"]
            stats = {
                "arrivals": [c.at for c in sends if c.error is None],
                "errors": [c.error.code for c in sends if c.error is not None],
                "too_many_requests": api.too_many_requests,
                "other_calls": len(api.state.calls) - len(sends),
                "cpu_s": cpu_seconds(),
            }
            print(json.dumps(stats), flush=True)
        elif line == "reset":
            api.state.calls.clear()
            api.state.messages.clear()
            api.too_many_requests = 0
            print("{}", flush=True)
        else:  # "quit" or end of input
            break
    await api.stop()


class FakeServer:
    """A bench.fake_server child process; use as `async with FakeServer(rate) as server`."""

    def __init__(self, rate: int | None = None) -> None:
        self.rate = rate
        self.url = ""
        self._proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> FakeServer:
        command = ["-m", "bench.fake_server"]
        if self.rate:
            command += ["--rate", str(self.rate)]
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, *command, stdin=PIPE, stdout=PIPE, limit=2**26
        )
        line = await self._readline()
        if not line.startswith("URL "):
            await self.__aexit__()
            raise RuntimeError(f"the fake server did not start: {line!r}")
        self.url = line.split()[1]
        return self

    async def _readline(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        return (await asyncio.wait_for(self._proc.stdout.readline(), 60)).decode().strip()

    async def command(self, name: str) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(name.encode() + b"\n")
        await self._proc.stdin.drain()
        return json.loads(await self._readline())

    async def stats(self) -> dict[str, Any]:
        return await self.command("stats")

    async def __aexit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write(b"quit\n")
            proc.stdin.close()
            await asyncio.wait_for(proc.wait(), 10)
        except (OSError, TimeoutError):
            proc.kill()
            await proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_server")
    parser.add_argument("--rate", type=int, help="answer 429 beyond this many sends a second")
    args = parser.parse_args()
    asyncio.run(serve(args.rate))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
