"""The audit of one case: who created, changed, viewed or disclosed what, and why."""

from __future__ import annotations

from rich.text import Text

from asbtui.dates import format_datetime
from asbtui.literal import one_line, visible
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import audit
from asbtui.services.audit import AuditEntry


class AuditScreen(RecordListScreen[AuditEntry]):
    """Newest first (supervisors: their own districts' cases; admins: any)."""

    COLUMNS = ("#", "When", "Who", "Role", "Did", "Record", "Detail", "Reason")
    FAILED_TITLE = "Could not load the audit"
    EMPTY = "nothing audited yet"

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def title_text(self) -> Text:
        return Text(f"Audit of {self.ref} ({len(self.records)} events, newest first)",
                    style="bold")

    def fetch(self) -> list[AuditEntry]:
        return audit.case_audit(self.asb.store, self.ref)

    def key(self, record: AuditEntry) -> str:
        return str(record.seq)

    def cells(self, record: AuditEntry) -> list[Text]:
        return entry_cells(record)

    def detail(self, record: AuditEntry) -> Text:
        return entry_detail(record)


def entry_cells(record: AuditEntry, *, with_case: bool = False) -> list[Text]:
    """One audit event as table cells (user text literal, long text cut short)."""
    case = [Text(one_line(record.case_ref, 14))] if with_case else []
    return [
        Text(str(record.seq)),
        Text(format_datetime(record.at)),
        Text(one_line(record.actor, 20)),
        Text(record.role),
        Text(record.action),
        Text(record.record_type),
        *case,
        Text(one_line(record.detail, 30)),
        Text(one_line(record.justification, 30)),
    ]


def entry_detail(record: AuditEntry, *, with_case: bool = False) -> Text:
    """One audit event in full, for the line under the table."""
    case = f" · case {one_line(record.case_ref)}" if with_case and record.case_ref else ""
    reason = f"\nReason: {visible(record.justification)}" if record.justification else ""
    return Text(
        f"#{record.seq} · {format_datetime(record.at)} · {one_line(record.actor)} "
        f"({record.role}) · {record.action} {record.record_type} {record.record_id}{case}\n"
        f"{visible(record.detail)}{reason}"
    )
