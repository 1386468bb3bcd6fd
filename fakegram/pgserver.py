"""A throwaway PostgreSQL cluster for the tests and the benchmarks.

The suite runs on both storage backends (issue 21), so a test run needs a PostgreSQL
server it owns: one made fresh in a temporary folder, listening on 127.0.0.1 only, on a
free port, with durability switched off (a test database is thrown away, and fsync is most
of the cost of a write), and removed at the end. Nothing here touches a cluster the
machine already has (Debian's `main` cluster stays as it is).

PostgreSQL refuses to run as root, and CI runs as root: then the cluster belongs to the
`postgres` system user that Debian's package creates, and its commands run through
`runuser`. Every client connects over TCP to 127.0.0.1 as the superuser `postgres`,
trusted there and nowhere else.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

HOST = "127.0.0.1"
SUPERUSER = "postgres"
SYSTEM_USER = "postgres"  # Debian's package creates it; PostgreSQL refuses to run as root
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
INSTALL_HINT = "install Debian's postgresql package (apt-get install postgresql)"
# Settings for a cluster that is thrown away: no durability, enough connections for
# several bot processes with their pools at once.
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "128MB",
    "max_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    # in the cluster's folder, removed with it (posix segments in /dev/shm outlive an
    # immediate stop)
    "dynamic_shared_memory_type": "mmap",
    "log_min_messages": "warning",
    "log_checkpoints": "off",
}
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
T = TypeVar("T")


class PgUnavailable(Exception):
    """No PostgreSQL server can be had here; `reason` says why and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def find_bindir() -> Path:
    """The folder with initdb, pg_ctl, postgres and psql: initdb's on PATH, else the newest
    of Debian's (which keeps them off PATH, in /usr/lib/postgresql/VERSION/bin)."""
    found = shutil.which("initdb")
    if found:
        bindir = Path(found).resolve().parent
        if (bindir / "pg_ctl").exists():
            return bindir
    versions = []
    if DEBIAN_BINARIES.is_dir():
        for bindir in DEBIAN_BINARIES.glob("*/bin"):
            if (bindir / "initdb").exists() and bindir.parent.name.isdigit():
                versions.append((int(bindir.parent.name), bindir))
    if not versions:
        raise PgUnavailable(f"no initdb found on PATH or in {DEBIAN_BINARIES}: {INSTALL_HINT}")
    return max(versions)[1]


def scratch_dir(prefix: str = "pgserver-") -> Path:
    """A new empty folder for a cluster: in /dev/shm (memory) where it is, else /tmp.

    Measured here: CREATE DATABASE takes ~20 ms on tmpfs and 170-260 ms on the ext4 disk,
    fsync off either way (the disk's journal and discard, not durability, cost that)."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        with contextlib.suppress(OSError):
            if shutil.disk_usage(shm).free >= 1 << 30:
                return Path(tempfile.mkdtemp(prefix=prefix, dir=shm))
    return Path(tempfile.mkdtemp(prefix=prefix))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def database_env(target: Path | str) -> dict[str, str]:
    """What a child `python -m bot` needs in its environment to use `target` (a SQLite
    path or a postgresql:// URL), as Config reads it."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        return {"DATABASE_URL": text}
    return {"DATABASE_PATH": text}


@dataclass
class PgServer:
    base_dir: Path
    port: int
    bindir: Path
    version: str  # "15.18"
    run_as: str | None  # the system user commands run as (root cannot run PostgreSQL)
    created: int = 0  # databases made by create_database
    create_seconds: float = 0.0  # their total time
    started_seconds: float = 0.0  # initdb + start
    _stopped: bool = field(default=False, repr=False)
    _names: int = field(default=0, repr=False)
    _admin: _Admin | None = field(default=None, repr=False)
    _spare: Future[str] | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@{HOST}:{self.port}/{database}"

    @classmethod
    def start(cls, base_dir: Path) -> PgServer:
        """initdb a new cluster in `base_dir` and start it on 127.0.0.1 at a free port.

        `base_dir` must be empty or missing, and (as root) reachable by the `postgres`
        user: every folder above it searchable by others, as /tmp is and pytest's own
        temporary folders (mode 0700) are not."""
        started = time.monotonic()
        bindir = find_bindir()
        run_as = None
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise PgUnavailable(
                    f"running as root and there is no {SYSTEM_USER!r} user to run "
                    f"PostgreSQL as: {INSTALL_HINT}"
                ) from None
            if shutil.which("runuser") is None:
                raise PgUnavailable("running as root and no runuser to drop to 'postgres'")
            run_as = SYSTEM_USER
            for parent in base_dir.resolve().parents:
                if parent.stat().st_mode & 0o001 == 0:
                    raise PgUnavailable(
                        f"the {SYSTEM_USER!r} user cannot reach {base_dir}: {parent} is not "
                        "searchable by others (give a folder under /tmp)"
                    )
        base_dir.mkdir(parents=True, exist_ok=True)
        if any(base_dir.iterdir()):
            raise PgUnavailable(f"{base_dir} is not empty")
        if run_as is not None:
            os.chown(base_dir, owner.pw_uid, owner.pw_gid)
        base_dir.chmod(0o700)
        version = _version(bindir)
        server = cls(base_dir, 0, bindir, version, run_as)
        try:
            server._initdb()
            for _attempt in range(3):  # the free port may be taken before the server binds
                server.port = free_port()
                server._configure()
                if server._pg_ctl("start", "-w", "-t", "60", "-l", str(server.log_file)):
                    break
            else:
                raise PgUnavailable(f"PostgreSQL did not start: {server._log_tail()}")
            server._admin = _Admin.connect(server.url())
        except BaseException:
            server.stop()
            raise
        server.started_seconds = time.monotonic() - started
        atexit.register(server.stop)  # a caller that dies of an exception leaves no server
        return server

    def create_database(self, name: str | None = None) -> str:
        """A fresh empty database; its URL.

        CREATE DATABASE copies template1: ~20 ms on tmpfs (see scratch_dir), and starting
        psql for it would add ~13 ms. So the statements go through one kept asyncpg
        connection, and an unnamed database is made one ahead while the test before it
        runs: a test then waits ~0.2 ms for its database."""
        started = time.monotonic()
        if name is not None:
            if not _NAME.fullmatch(name):
                raise ValueError(f"not a plain database name: {name!r}")
            self._create(name)
        else:
            spare, self._spare = self._spare, None
            name = spare.result(timeout=120) if spare is not None else self._create()
            if self._admin is not None:
                self._spare = self._admin.submit(self._create_async(self._next_name()))
        self.created += 1
        self.create_seconds += time.monotonic() - started
        return self.url(name)

    def drop_database(self, url_or_name: str) -> None:
        """Drop a database made here, its connections cut (a killed bot's may linger). A
        test's database goes at its end: each takes ~7.5 MB of the memory /dev/shm is. Not
        waited for where the kept connection does it."""
        name = url_or_name.rsplit("/", 1)[-1]
        if not _NAME.fullmatch(name) or name in ("postgres", "template0", "template1"):
            raise ValueError(f"not a test database: {url_or_name!r}")
        sql = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        if self._admin is not None:
            self._admin.submit(self._admin.execute(sql))
        else:
            self.psql(sql)

    def _next_name(self) -> str:
        self._names += 1
        return f"test_{self._names}"

    def _create(self, name: str | None = None) -> str:
        name = name or self._next_name()
        if self._admin is not None:
            return self._admin.submit(self._create_async(name)).result(timeout=120)
        self.psql(self._create_sql(name))
        return name

    async def _create_async(self, name: str) -> str:
        assert self._admin is not None
        await self._admin.execute(self._create_sql(name))
        return name

    def _create_sql(self, name: str) -> str:
        # PostgreSQL 15's default strategy (WAL_LOG) rather than FILE_COPY: that one forces
        # a checkpoint each time, ~250 ms whenever the WAL holds writes
        return f"CREATE DATABASE {name}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser; its output (unaligned, tuples only)."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.url(database),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql {sql!r} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def stop(self) -> None:
        """Stop at once (nothing in it is worth a clean shutdown) and remove the folder."""
        if self._stopped:
            return
        self._stopped = True
        admin, self._admin = self._admin, None
        spare, self._spare = self._spare, None
        if spare is not None:
            with contextlib.suppress(Exception):
                spare.result(timeout=30)  # let a CREATE DATABASE under way finish first
        if admin is not None:
            admin.close()
        with contextlib.suppress(Exception):
            self._pg_ctl("stop", "-m", "immediate", "-w", "-t", "30")
        self._remove()

    # -- inside -----------------------------------------------------------------------------

    def _command(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        return ["runuser", "-u", self.run_as, "--", *args]

    def _initdb(self) -> None:
        last: list[str] = []
        for locale in ("C.UTF-8", "C"):
            result = subprocess.run(
                self._command(
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    f"--locale={locale}",
                    "--no-sync",
                    "--no-instructions",
                ),
                capture_output=True,
                text=True,
                timeout=120,
                cwd=self.base_dir,
            )
            if result.returncode == 0:
                return
            last = (result.stderr or result.stdout).strip().splitlines()[-1:]
            shutil.rmtree(self.data_dir, ignore_errors=True)
        raise PgUnavailable(f"initdb failed: {' '.join(last) or 'no message'}")

    def _configure(self) -> None:
        """Listen on 127.0.0.1 only, the unix socket in our folder, trust there only."""
        settings = {
            **SETTINGS,
            "listen_addresses": f"'{HOST}'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.base_dir}'",
        }
        conf = "".join(f"{k} = {v}\n" for k, v in settings.items())
        # postgresql.auto.conf is read last: its values win over the defaults initdb wrote
        self._write(self.data_dir / "postgresql.auto.conf", conf)
        self._write(
            self.data_dir / "pg_hba.conf",
            "# a throwaway test cluster: trusted on loopback and its own socket, nothing else\n"
            f"local all {SUPERUSER} trust\n"
            f"host all {SUPERUSER} {HOST}/32 trust\n",
        )

    def _write(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self.run_as is not None:
            owner = pwd.getpwnam(self.run_as)
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _pg_ctl(self, *args: str) -> bool:
        command = self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), *args)
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd=self.base_dir
        )
        return result.returncode == 0

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no server log"
        return " | ".join(lines[-3:]) or "empty server log"

    def _remove(self) -> None:
        shutil.rmtree(self.base_dir, ignore_errors=True)


def _version(bindir: Path) -> str:
    """'postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)' → '15.18'."""
    try:
        out = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=30
        ).stdout
    except OSError as e:
        raise PgUnavailable(f"cannot run {bindir / 'postgres'}: {e}") from None
    match = re.search(r"\d+(\.\d+)*", out)
    return match.group(0) if match else out.strip()


class _Admin:
    """One asyncpg connection on an event loop of its own, in a thread: the fixtures that
    make databases are synchronous, and may be called from inside a test's running loop.
    None where asyncpg is not installed (psql does the work then)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.loop = loop
        self.thread = thread
        self.conn: Any = None
        self.lock: asyncio.Lock | None = None  # made on the loop: one statement at a time

    @classmethod
    def connect(cls, url: str) -> _Admin | None:
        try:
            import asyncpg
        except ImportError:
            return None
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="pgserver-admin", daemon=True)
        thread.start()
        admin = cls(loop, thread)
        try:
            admin.conn = admin.submit(asyncpg.connect(url, timeout=30)).result(timeout=60)
        except BaseException:
            admin.close()
            raise
        return admin

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def execute(self, sql: str) -> None:
        if self.lock is None:
            self.lock = asyncio.Lock()
        async with self.lock:
            await self.conn.execute(sql)

    async def _close(self) -> None:
        if self.lock is None:
            self.lock = asyncio.Lock()
        async with self.lock:  # after the statements already sent (drops not waited for)
            await self.conn.close(timeout=5)

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.submit(self._close()).result(timeout=60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()
