"""Open sync conflicts of the supervisor's districts: both values, who and when; settle one.

Read from the central store in a thread worker (it needs a connection); settling is a
change on the central store that reaches every device, audited here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.message import Message

from asbtui.errors import AsbError
from asbtui.literal import one_line
from asbtui.screens.record_list import RecordListScreen
from asbtui.sync import engine


def _value(value: Any) -> str:
    return "(empty)" if value is None or value == "" else one_line(str(value), 30)


class ConflictsScreen(RecordListScreen[dict]):
    BINDINGS = [
        Binding("c", "keep('central')", "Keep central",
                tooltip="Settle the highlighted conflict with the central store's value",
                id="conflicts.keep_central"),
        Binding("d", "keep('device')", "Keep device",
                tooltip="Settle the highlighted conflict with the device's value",
                id="conflicts.keep_device"),
    ]
    COLUMNS = ("No.", "Case", "Field", "Central value", "By", "Device value", "By")
    FAILED_TITLE = "Could not load the conflicts"
    EMPTY = "no open conflicts"

    @dataclass
    class Settled(Message):
        conflict_id: int
        field: str

    def title_text(self) -> Text:
        return Text(f"Open sync conflicts ({len(self.records)})", style="bold")

    def fetch(self) -> list[dict]:
        return engine.list_conflicts(self.asb.store)

    def key(self, record: dict) -> str:
        return str(record["id"])

    def cells(self, record: dict) -> list[Text]:
        return [Text(str(record["id"])), Text(one_line(record["ref"] or record["table"])),
                Text(one_line(record["field"])), Text(_value(record["server_value"])),
                Text(one_line(record["server_user"] or "")),
                Text(_value(record["device_value"])),
                Text(one_line(record["device_user"] or ""))]

    def detail(self, record: dict) -> Text:
        return Text(
            f"{one_line(record['table'])} {one_line(record['ref'] or record['key'])}, field "
            f"{one_line(record['field'])}\nCentral: {_value(record['server_value'])} by "
            f"{one_line(record['server_user'] or '')} at {one_line(record['server_at'] or '')}"
            f"\nDevice:  {_value(record['device_value'])} by "
            f"{one_line(record['device_user'] or '')} at {one_line(record['device_at'] or '')}")

    def action_keep(self, side: str) -> None:
        record = self.highlighted()
        if record is None:
            return
        value = record["server_value" if side == "central" else "device_value"]
        self.settle(int(record["id"]), str(record["field"]), value)

    # Its own group: an exclusive worker cancels the others of its group, and the list's
    # loading must not cancel a settlement (nor the reverse).
    @work(thread=True, exclusive=True, exit_on_error=False, group="settle",
          description="Settling")
    def settle(self, conflict_id: int, field: str, value: Any) -> None:
        transport = engine.transport_for(self.asb.store)
        try:
            engine.settle_conflict(self.asb.store, transport, conflict_id, value)
        except AsbError as error:
            self.post_message(self.LoadFailed(str(error)))
            return
        finally:
            transport.close()
        self.post_message(self.Settled(conflict_id, field))

    @on(Settled)
    def settled(self, message: Settled) -> None:
        self.changed = True
        self.notify(f"Conflict {message.conflict_id} settled ({message.field}); every device "
                    "takes it at its next sync.", title="Sync", markup=False)
        self.load()
