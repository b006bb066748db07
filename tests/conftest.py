"""Fixtures shared by every test folder: a real influxd and a real PostgreSQL per test session, fresh databases
per test; ``meta_db``: a fresh metadata database on each backend (SQLite, PostgreSQL)."""

from __future__ import annotations

import ast
import functools
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_db_names = itertools.count(1)


def _one_ast_parse_at_a_time() -> None:
    """CPython 3.11 (before 3.11.8) keeps ast.parse's recursion depth in one per-interpreter counter, so two
    threads parsing at once can corrupt it: "SystemError: AST constructor recursion depth mismatch"
    (python/cpython#106905). pytest parses source to format a failure while a server thread under test formats
    a logged traceback (3.11's traceback module parses each line for its carets); CI died of it once with an
    INTERNALERROR. Serialise the calls; re-entrant, as a finaliser may parse inside a parse."""
    parse, lock = ast.parse, threading.RLock()

    @functools.wraps(parse)
    def serialised(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return parse(*args, **kwargs)

    ast.parse = serialised


_one_ast_parse_at_a_time()


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real influxd (Debian's 1.6.7) for the whole session; each test uses its own database."""
    from tests.support.influxd import start_influxd

    server = start_influxd(tmp_path_factory.mktemp("influxd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """One real PostgreSQL (initdb + postgres in a temp dir, tests/support/postgres.py) for the whole session;
    each test uses its own database."""
    from tests.support.postgres import start_postgres

    with start_postgres() as pg:
        yield pg


def make_meta(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """A fresh, migrated metadata database: a SQLite file in ``tmp_path`` or a new PostgreSQL database."""
    from statusmon.meta.db import open_meta

    if backend == "sqlite":
        db = open_meta(tmp_path / "meta.db")
    else:
        pg = request.getfixturevalue("postgres")
        db = open_meta(pg.create_database(f"meta_{next(_db_names)}"))
    request.addfinalizer(db.close)
    return db


META_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=META_BACKENDS)
def meta_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The metadata contract's subject: a fresh MetaDB on SQLite, then on PostgreSQL."""
    return make_meta(request.param, tmp_path, request)


@pytest.fixture
def influx_db_name() -> str:
    """A database name no other test uses (so tests sharing one influxd never see each other's points)."""
    return f"test_{next(_db_names)}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a test that did not run to a pass is a failure, whatever caused it: a skip (require() already fails;
    this catches the rest), an xfail (a marker or an imperative ``pytest.xfail``) or an xpass."""
    from tests.support.require import in_ci

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not in_ci() or session.exitstatus != 0:
        return
    counts = {what: len(reporter.stats.get(what, [])) for what in ("skipped", "xfailed", "xpassed")}
    if any(counts.values()):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        said = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        reporter.write_line(f"CI=true: {said}; only a pass counts here", red=True)
