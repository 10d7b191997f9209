"""Snapshot of My day, at 80x24, on a fixed demo store and a fixed clock, as the demo's
Thanet officer. Update after a deliberate change with:
pytest tests/test_snapshots_day.py --snapshot-update
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.services import demo, users

AS_OF = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap-day") / "demo.db"
    with open_store(path, create=True) as store:
        demo.build_demo(store, cases=300, seed=11, as_of=AS_OF)
    return path


@pytest.fixture
def app(demo_file: Path, tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copy(demo_file, path)
    store = open_store(path)
    users.sign_in(store, "pc.thanet", "271828")
    yield AsbApp(store, settings=Settings(db=path), clock=lambda: AS_OF)
    store.close()


async def still(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    # A worker's result arrives as a message, which may start another worker (a page,
    # then its count and marks): settle until a pass finds nothing left to do.
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)
    await pilot.wait_for_scheduled_animations()


def test_my_day_screen(snap_compare, app) -> None:
    async def my_day(pilot) -> None:
        await still(pilot)
        await pilot.press("f2")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=my_day)


def test_case_plan_screen(snap_compare, app) -> None:
    async def plan(pilot) -> None:
        await still(pilot)
        await pilot.press("f2")
        await still(pilot)
        await pilot.press("enter")
        await still(pilot)
        await pilot.press("P")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=plan)


def test_conference_screen(snap_compare, app) -> None:
    async def conference(pilot) -> None:
        await still(pilot)
        await pilot.press("f2")
        await still(pilot)
        await pilot.press("C")
        await still(pilot)
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=conference)
