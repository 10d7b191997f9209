"""Snapshot of My day, at 80x24, on a fixed demo store and a fixed clock, as the demo's
Thanet officer. Update after a deliberate change with:
pytest tests/test_snapshots_day.py --snapshot-update
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from snapshot_world import AS_OF, build_snapshot_demo, still

from asbtui.app import AsbApp
from asbtui.config import Settings
from asbtui.db import open_store
from asbtui.services import users


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_snapshot_demo(tmp_path_factory, "snap-day")


@pytest.fixture
def app(demo_file: Path, tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copy(demo_file, path)
    store = open_store(path)
    users.sign_in(store, "pc.thanet", "271828")
    yield AsbApp(store, settings=Settings(db=path), clock=lambda: AS_OF)
    store.close()



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
