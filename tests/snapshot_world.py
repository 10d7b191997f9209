"""What the snapshot tests share: one fixed demo store (300 cases, seed 11, as of
25/11/2026 10:00 UTC) and a way to wait until a frame is still."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import AS_OF
from pilot_wait import workers_done
from textual.widgets import DataTable, Input

from asbtui.db import open_store
from asbtui.services import demo

SNAPSHOT_CASES = 300
SNAPSHOT_SEED = 11


def build_snapshot_demo(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    path = tmp_path_factory.mktemp(name) / "demo.db"
    with open_store(path, create=True) as store:
        demo.build_demo(store, cases=SNAPSHOT_CASES, seed=SNAPSHOT_SEED, as_of=AS_OF)
    return path


async def still(pilot) -> None:
    """Wait for the workers, and stop cursors blinking so that frames are stable."""
    await workers_done(pilot.app)
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    # A worker's result arrives as a message, which may start another worker (a page,
    # then its count and marks): settle until a pass finds nothing left to do.
    # Under load a worker may start after a pass found none (a callback after a refresh):
    # three passes at least, then until one ends with no worker left.
    for passes in range(1, 21):
        await workers_done(pilot.app)
        await pilot.pause(0.05)
        if passes >= 3 and all(worker.is_finished for worker in pilot.app.workers):
            break
    await pilot.wait_for_scheduled_animations()
    # Tables size their columns when idle, after their rows came: under load that idle
    # can come late (a fresh-clone CI run once caught a case screen's tables unsized), so
    # wait until no table has sizing left to do, then let that frame be drawn.
    for _ in range(100):
        if not any(table._require_update_dimensions or table._updated_cells
                   for table in pilot.app.screen.query(DataTable)):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.1)
