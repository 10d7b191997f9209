"""Shared fixtures: fresh stores, a seeded demo store, officers and cases made to order.

Every test gets its own store file under ``tmp_path``. The demo store is built once per
session into a template file and copied for each test, so tests stay independent and fast.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import fresh
import pytest
import typer.testing
from argon2 import PasswordHasher

from asbtui.db import Store, open_store
from asbtui.models import District, Role
from asbtui.services import cases, users
from asbtui.services.access import Actor
from asbtui.services.demo import DemoSummary, build_demo


def _built_once(build):  # noqa: ANN001, ANN202
    """Typer's test runner builds the whole command tree from the app's functions on every
    call (0.18 s of a 0.3 s invocation here); the tree does not change once the CLI's
    modules are imported, so tests build it once per app."""
    built: dict[int, tuple[object, object]] = {}

    def command(app):  # noqa: ANN001, ANN202
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app kept: its id is never reused
        return built[id(app)][1]

    return command


typer.testing._get_command = _built_once(typer.testing._get_command)

# The fixed "now" of every test that can choose its clock: a Wednesday in GMT.
AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 25)
DEMO_CASES = 300
DEMO_SEED = 7


@pytest.fixture(autouse=True)
def _no_user_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the user's own config file, data folder and ASBTUI_* variables out of tests."""
    home = tmp_path_factory.getbasetemp() / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in ("ASBTUI_DB", "ASBTUI_OFFICER", "ASBTUI_THEME", "ASBTUI_PAGE_SIZE", "ASBTUI_KEY"):
        monkeypatch.delenv(name, raising=False)
    # Tests not about My day start at the queue after signing in (My day's tests turn it on).
    monkeypatch.setenv("ASBTUI_MY_DAY_AT_SIGN_IN", "0")


@pytest.fixture(autouse=True)
def _quick_pin_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its real cost takes ~0.1 s a hash; tests sign in hundreds of times.
    Hashes made this way still verify as argon2id; the real cost is tested on its own."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                         parallelism=1))


@pytest.fixture(scope="session")
def empty_template() -> Path:
    """An empty, migrated store made once per test process; tests get copies."""
    return fresh.empty_template()


@pytest.fixture
def store_path(empty_template: Path, tmp_path: Path) -> Path:
    """The path of a fresh, empty (closed) store of this test's own, e.g. for the CLI."""
    path = tmp_path / "store.db"
    shutil.copyfile(empty_template, path)
    return path


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    """A fresh, empty, open store of this test's own."""
    opened = open_store(store_path, create=True)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    """The demo store, built once: never opened by tests, only copied."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    with open_store(path, create=True) as built:
        summary = build_demo(built, cases=DEMO_CASES, seed=DEMO_SEED, as_of=AS_OF)
    # Closing the last connection checkpoints the WAL: the .db file is the whole store.
    assert not Path(f"{path}-wal").exists()
    return path, summary


@pytest.fixture
def demo_summary(demo_template: tuple[Path, DemoSummary]) -> DemoSummary:
    return demo_template[1]


@pytest.fixture
def demo_path(demo_template: tuple[Path, DemoSummary], tmp_path: Path) -> Path:
    """A private copy of the demo store file (closed), e.g. for the CLI."""
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_template[0], copy)
    return copy


def supervisor_everywhere(store: Store) -> Actor:
    """A supervisor of all 13 districts who is the device's officer: tests that are not
    about roles work the demo store (which has users) as this actor."""
    officer = cases.device_officer(store)
    return Actor("test.supervisor", Role.SUPERVISOR, frozenset(District),
                 officer_id=officer.id if officer else None, full_name="Test Supervisor")


@pytest.fixture
def demo_store(demo_path: Path) -> Iterator[Store]:
    """An open private copy of the demo store: 300 cases, seed 7, as of 25/11/2026 10:00 UTC,
    worked by :func:`supervisor_everywhere` (tests about roles sign in themselves)."""
    opened = open_store(demo_path)
    opened.actor = supervisor_everywhere(opened)
    yield opened
    opened.close()


_collars = itertools.count(9001)


@pytest.fixture
def make_officer() -> Callable[..., cases.OfficerView]:
    """``make_officer(store, district="THA", name=None, collar=None)`` adds an officer."""

    def make(
        store: Store,
        district: str = "THA",
        name: str | None = None,
        collar: str | None = None,
    ) -> cases.OfficerView:
        number = next(_collars)
        return cases.add_officer(
            store, collar or f"PC {number}", name or f"Officer {number}", district
        )

    return make


@pytest.fixture
def open_case() -> Callable[..., str]:
    """``open_case(store, **fields)`` opens a case with sensible defaults; returns its ref."""

    def make(store: Store, *, now: datetime | None = AS_OF, **fields: object) -> str:
        values: dict[str, object] = {
            "district": "THA",
            "category": "nuisance",
            "summary": "Loud music late at night",
        }
        values.update(fields)
        return cases.create_case(store, cases.NewCase(**values), now=now)  # type: ignore[arg-type]

    return make
