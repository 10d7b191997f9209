"""Snapshot tests of the main screens, at 80x24, on a fixed demo store and a fixed clock.

Update after a deliberate change with: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import supervisor_everywhere
from snapshot_world import AS_OF, build_snapshot_demo, still

from asbtui.app import HOME, AsbApp
from asbtui.config import Settings
from asbtui.db import open_store


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_snapshot_demo(tmp_path_factory, "snap")


@pytest.fixture
def app(demo_file: Path, tmp_path: Path):
    path = tmp_path / "store.db"
    shutil.copy(demo_file, path)
    store = open_store(path)
    store.actor = supervisor_everywhere(store)
    yield AsbApp(store, settings=Settings(db=path), clock=lambda: AS_OF, start_view=HOME)
    store.close()



def test_queue_screen(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=still)


def test_queue_screen_light_theme(snap_compare, app) -> None:
    async def light(pilot) -> None:
        await pilot.press("ctrl+t")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=light)


def test_case_screen_invicta_road(snap_compare, app) -> None:
    async def open_invicta(pilot) -> None:
        await still(pilot)
        await pilot.press("slash", *"invicta", "enter")
        await pilot.pause(0.3)
        await still(pilot)
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_invicta)


def test_intake_form(snap_compare, app) -> None:
    async def intake(pilot) -> None:
        await still(pilot)
        await pilot.press("n")
        await still(pilot)
        await pilot.press("ctrl+s")  # show the field errors
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=intake)


def test_deadlines_screen(snap_compare, app) -> None:
    async def deadlines(pilot) -> None:
        await still(pilot)
        await pilot.press("u")
        await still(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=deadlines)


# ------------------------------------------------------------- the wider terminal, 120x40

WIDE = (120, 40)


def test_queue_screen_wide(snap_compare, app) -> None:
    # At 120 columns the queue shows the summary and owner; the detail line has the rest.
    assert snap_compare(app, terminal_size=WIDE, run_before=still)


def test_case_screen_invicta_road_wide(snap_compare, app) -> None:
    async def open_invicta(pilot) -> None:
        await still(pilot)
        await pilot.press("slash", *"invicta", "enter")
        await pilot.pause(0.3)
        await still(pilot)
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(app, terminal_size=WIDE, run_before=open_invicta)


def test_intake_form_wide(snap_compare, app) -> None:
    async def intake(pilot) -> None:
        await still(pilot)
        await pilot.press("n")
        await still(pilot)
        await pilot.press("ctrl+s")
        await still(pilot)

    assert snap_compare(app, terminal_size=WIDE, run_before=intake)


async def dashboard_open(pilot) -> None:
    await still(pilot)
    await pilot.press("D")
    await still(pilot)


def test_dashboard_screen_narrow(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=dashboard_open)


def test_dashboard_screen_wide(snap_compare, app) -> None:
    assert snap_compare(app, terminal_size=WIDE, run_before=dashboard_open)
