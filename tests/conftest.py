from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.content.model import CONTENT_DIR
from fakegram.harness import Harness
from fakegram.pgserver import PgServer, PgUnavailable, scratch_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CONTENT = Path(__file__).resolve().parent / "fixtures" / "content"

# The suite runs on both storage backends (issue 21). A test is run once on each when it
# touches the database: its module has a global named Harness or Database, or it is marked
# `storage` (in its module's pytestmark or itself), or it asks for a bot or a database
# target. `sqlite_only` keeps a test on SQLite alone: it looks at SQLite itself (the file,
# its pragmas, sqlite3 errors), which PostgreSQL has no equivalent of. `postgresql_only`
# keeps it on PostgreSQL alone: several processes sharing one database, which SQLite's one
# file on one machine is not meant for.
BACKENDS = ("sqlite", "postgresql")
DATABASE_GLOBALS = ("Harness", "Database")
DATABASE_FIXTURES = ("harness", "db_target", "make_db_target", "module_database_url")


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


# -- the two backends ---------------------------------------------------------------------


@dataclass
class PgRun:
    """What the run did with PostgreSQL, for the summary (the server is gone by then)."""

    version: str = ""
    port: int = 0
    start_seconds: float = 0.0
    databases: int = 0
    create_seconds: float = 0.0
    ran: set[str] = field(default_factory=set)  # tests that got a PostgreSQL database
    unavailable: str = ""  # why no server could be had
    skipped: set[str] = field(default_factory=set)  # tests skipped for that


PG_KEY = pytest.StashKey[PgRun]()


def pg_run(config: pytest.Config) -> PgRun:
    return config.stash.setdefault(PG_KEY, PgRun())


def _uses_database(metafunc: pytest.Metafunc) -> bool:
    module = vars(metafunc.module)
    return (
        any(name in module for name in DATABASE_GLOBALS)
        or metafunc.definition.get_closest_marker("storage") is not None
        or any(name in metafunc.fixturenames for name in DATABASE_FIXTURES)
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not _uses_database(metafunc):
        return
    marked = metafunc.definition.get_closest_marker
    backends = ["sqlite"] if marked("sqlite_only") else list(BACKENDS)
    if marked("postgresql_only"):
        backends = ["postgresql"]
    # Module scope: a module's SQLite tests run first, then its PostgreSQL ones, and a
    # module-scoped fixture (a bot shared by a module's tests) can follow the backend.
    metafunc.parametrize("backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend a test runs on: SQLite for one that is not parametrized."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def _pg_server(request: pytest.FixtureRequest) -> Iterator[PgServer | PgUnavailable]:
    """One throwaway cluster for the whole run, started by the first test that needs it."""
    run = pg_run(request.config)
    base = scratch_dir("pgtest-")
    try:
        server = PgServer.start(base)
    except PgUnavailable as e:
        shutil.rmtree(base, ignore_errors=True)
        run.unavailable = e.reason
        yield e
        return
    run.version, run.port, run.start_seconds = server.version, server.port, server.started_seconds
    try:
        yield server
    finally:
        run.databases, run.create_seconds = server.created, server.create_seconds
        server.stop()


@pytest.fixture
def pg_server(request: pytest.FixtureRequest) -> PgServer:
    """The run's PostgreSQL server; the test is skipped (with the reason) where there is none."""
    server = request.getfixturevalue("_pg_server")
    if isinstance(server, PgUnavailable):
        pg_run(request.config).skipped.add(request.node.nodeid)
        pytest.skip(f"PostgreSQL unavailable: {server.reason}")
    pg_run(request.config).ran.add(request.node.nodeid)
    return server


def _pg_database(request: pytest.FixtureRequest, server: PgServer) -> str:
    url = server.create_database()
    request.addfinalizer(lambda: server.drop_database(url))
    return url


@pytest.fixture(autouse=True)
def _database_backend(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str | None]:
    """PostgreSQL: a fresh database for the test, DATABASE_URL naming it while it runs (a
    Harness and a child `python -m bot` read it there). SQLite, and every test that is not
    parametrized: no DATABASE_URL, whatever the shell that started pytest had."""
    if backend != "postgresql":
        monkeypatch.delenv("DATABASE_URL", raising=False)
        yield None
        return
    url = _pg_database(request, request.getfixturevalue("pg_server"))
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    _no_sqlite_file_named_by(url)


def _no_sqlite_file_named_by(url: str) -> None:
    """A storage that does not know URLs opens one as a SQLite file name, in a folder
    "postgresql:" of the working directory, and the test passes on SQLite: fail it."""
    for folder in {Path.cwd(), ROOT}:
        stray = folder / url.split("/", 1)[0]
        if stray.is_dir():
            shutil.rmtree(stray, ignore_errors=True)
            pytest.fail(
                f"{url} was opened as a SQLite file ({stray}/...): the storage does not "
                "know postgresql:// URLs",
                pytrace=False,
            )


@pytest.fixture
def db_target(_database_backend: str | None, tmp_path: Path) -> Path | str:
    """What the test passes to Database.open: the same database a Harness on `tmp_path`
    uses (its bot.sqlite3, or the test's PostgreSQL database)."""
    return _database_backend or tmp_path / "bot.sqlite3"


@pytest.fixture
def make_db_target(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str], Path | str]:
    """For a test that needs several databases: each call, another fresh one (`name` names
    the SQLite file; PostgreSQL picks its own)."""

    def make(name: str) -> Path | str:
        if backend != "postgresql":
            return tmp_path / f"{name}.sqlite3"
        return _pg_database(request, request.getfixturevalue("pg_server"))

    return make


@pytest.fixture(scope="module")
def module_database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """For a module-scoped fixture that starts a bot: on PostgreSQL, a database for the
    module with DATABASE_URL naming it while the module runs (each test still gets its own
    from _database_backend, but a bot started here keeps the module's); on SQLite, None and
    no DATABASE_URL (the bot uses its data folder's file)."""
    with pytest.MonkeyPatch.context() as mp:
        if backend != "postgresql":
            mp.delenv("DATABASE_URL", raising=False)
            yield None
            return
        server = request.getfixturevalue("_pg_server")
        if isinstance(server, PgUnavailable):
            pg_run(request.config).skipped.add(request.node.nodeid)
            pytest.skip(f"PostgreSQL unavailable: {server.reason}")
        url = _pg_database(request, server)
        mp.setenv("DATABASE_URL", url)
        yield url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = pg_run(session.config)
    if os.environ.get("REQUIRE_POSTGRES") == "1" and run.skipped:
        # CI installs PostgreSQL: a suite that could not use it has not shown what it must
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    lines = list(config.stash.get(REPORT_KEY, []))
    run = pg_run(config)
    if run.ran:
        each = run.create_seconds / run.databases * 1000 if run.databases else 0.0
        lines.append(
            f"postgresql: {len(run.ran)} tests ran on PostgreSQL {run.version} at "
            f"127.0.0.1:{run.port} (server started in {run.start_seconds:.1f} s; "
            f"{run.databases} databases made, a test waited {each:.1f} ms for each)"
        )
    if run.skipped:
        lines.append(f"postgresql: {len(run.skipped)} tests skipped, no server: {run.unavailable}")
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            lines.append(
                "postgresql: REQUIRE_POSTGRES=1 and PostgreSQL tests were skipped: the run fails"
            )
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
