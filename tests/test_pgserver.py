"""The throwaway PostgreSQL server the suite runs its second backend on (fakegram/pgserver):
a database it makes answers, and the server listens on 127.0.0.1 and nowhere else."""

from __future__ import annotations

import socket
from pathlib import Path

import asyncpg
import pytest

from fakegram.pgserver import PgServer, PgUnavailable, database_env


async def test_a_created_database_answers(pg_server: PgServer) -> None:
    url = pg_server.create_database()
    assert url.startswith(f"postgresql://postgres@127.0.0.1:{pg_server.port}/")
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT 1") == 1
        assert await conn.fetchval("SELECT current_database()") == url.rsplit("/", 1)[1]
        # empty: no table of a test before it
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            == 0
        )
        assert await conn.fetchval("SHOW server_encoding") == "UTF8"
        assert await conn.fetchval("SHOW fsync") == "off"
        assert int(await conn.fetchval("SHOW max_connections")) >= 300
    finally:
        await conn.close()
    pg_server.drop_database(url)


def _listening(port: int) -> list[str]:
    """Local addresses of the TCP sockets listening on `port`, from /proc (no traffic)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, _remote, state = line.split()[1:4]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if width == 8:
                    found.append(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    found.append(f"ipv6:{address}")
    return found


async def test_the_server_listens_on_127_0_0_1_only(pg_server: PgServer) -> None:
    assert _listening(pg_server.port) == ["127.0.0.1"]
    conn = await asyncpg.connect(pg_server.url())
    try:
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
    finally:
        await conn.close()
    # another loopback address of this machine is not served
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.settimeout(5)
        s.connect(("127.0.0.2", pg_server.port))


def test_missing_binaries_are_a_clear_reason(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import fakegram.pgserver as pgserver

    monkeypatch.setattr(pgserver.shutil, "which", lambda _name: None)
    monkeypatch.setattr(pgserver, "DEBIAN_BINARIES", tmp_path / "nothing")
    with pytest.raises(PgUnavailable, match=r"no initdb found.*install Debian's postgresql"):
        PgServer.start(tmp_path / "cluster")
    assert not (tmp_path / "cluster").exists()


def test_a_child_bot_is_told_its_database() -> None:
    assert database_env("postgresql://postgres@127.0.0.1:5/x") == {
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5/x"
    }
    assert database_env(Path("/tmp/bot.sqlite3")) == {"DATABASE_PATH": "/tmp/bot.sqlite3"}
