"""Where this device stands with the central store, read without the sync engine.

The app's header shows it just after the first frame; :mod:`asbtui.sync.engine` imports
every table of the store (and the snapshot and search services) to push and pull, some
100 ms of CPU that the first screen does not need. The engine re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from asbtui.services.access import permits

if TYPE_CHECKING:
    import sqlalchemy as sa

    from asbtui.db import Store


@dataclass(frozen=True)
class SyncStatus:
    """Where this device stands: enrolled where, last good sync, changes waiting."""

    enrolled: bool
    url: str
    device_name: str
    last_sync: str | None
    pending: int


def read_state(connection: sa.Connection) -> dict[str, str]:
    """The device's sync state (enrolment, cursor, last sync), as stored."""
    return dict(connection.exec_driver_sql("SELECT key, value FROM sync_state").all())


@permits()  # a fact about the device, shown before anyone signs in
def status(store: Store) -> SyncStatus:
    """Enrolment, the time of the last good sync and how many local changes wait to go."""
    with store.engine.connect() as connection:
        state = read_state(connection)
        pending = connection.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() or 0
    return SyncStatus("key" in state, state.get("url", ""), state.get("device_name", ""),
                      state.get("last_sync"), int(pending))
