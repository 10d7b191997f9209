"""The audit of one case: who created, changed, viewed or disclosed what, and why."""

from __future__ import annotations

from rich.text import Text

from asbtui.dates import format_datetime
from asbtui.literal import one_line, plural, visible
from asbtui.models import Power
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import audit, powers
from asbtui.services.audit import AuditEntry

ACTION_WORDS = {
    "create": "Created",
    "change": "Changed",
    "view": "Viewed",
    "export": "Exported",
    "disclose": "Disclosed",
    "delete": "Erased",
    "sign-in": "Signed in",
    "sign-in failed": "Sign-in refused",
    "lock": "Locked",
    "unlock": "Unlocked",
}
# The names officers use for the powers with a well-known short form.
SHORT_POWER = {Power.CPW: "CPW", Power.CPN: "CPN", Power.FPN: "FPN", Power.ABC: "ABC",
               Power.CBO: "CBO"}
DID_WIDTH = 36
STEP_RECORDS = ("action", "action step")


def _step_in_words(detail: str) -> str | None:
    """'cpw: not_complied' as 'CPW: not complied with' (None if it is not a step)."""
    power_key, _, stage_key = detail.partition(": ")
    try:
        power = Power(power_key)
        stage = powers.stage(power, stage_key)
    except (ValueError, KeyError):
        return None
    return f"{SHORT_POWER.get(power, power.label)}: {stage.label.lower()}"


def action_in_words(record: AuditEntry) -> str:
    """What was done, in words ('CPW: not complied with', 'Viewed case'), never a key."""
    if record.record_type in STEP_RECORDS:
        step = _step_in_words(record.detail)
        if step is not None:
            return step if record.record_type == "action step" else f"{step} (action started)"
    if record.record_type == "deadline" and record.detail.startswith("status: "):
        return f"Deadline {record.detail.rpartition(' ')[2]}"
    return f"{ACTION_WORDS.get(record.action, record.action.capitalize())} {record.record_type}"


def _plain_detail(record: AuditEntry) -> str:
    """The detail, unless the action in words already says it."""
    if record.record_type in STEP_RECORDS and _step_in_words(record.detail):
        return ""
    if record.record_type == "deadline" and record.detail.startswith("status: "):
        return ""
    return record.detail


class AuditScreen(RecordListScreen[AuditEntry]):
    """Newest first (supervisors: their own districts' cases; admins: any)."""

    COLUMNS = ("#", "When", "Who", "Role", "Did", "Detail", "Reason")
    FAILED_TITLE = "Could not load the audit"
    EMPTY = "nothing audited yet"

    def __init__(self, ref: str) -> None:
        super().__init__()
        self.ref = ref

    def title_text(self) -> Text:
        return Text(f"Audit of {self.ref} ({plural(len(self.records), 'event')}, newest first)",
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
        Text(one_line(action_in_words(record), DID_WIDTH)),
        *case,
        Text(one_line(_plain_detail(record), 30)),
        Text(one_line(record.justification, 30)),
    ]


def entry_detail(record: AuditEntry, *, with_case: bool = False) -> Text:
    """One audit event in full, for the line under the table."""
    case = f" · case {one_line(record.case_ref)}" if with_case and record.case_ref else ""
    reason = f"\nReason: {visible(record.justification)}" if record.justification else ""
    return Text(
        f"#{record.seq} · {format_datetime(record.at)} · {one_line(record.actor)} "
        f"({record.role}) · {action_in_words(record)}{case}"
        f"{f' · {record.record_type} {record.record_id}' if record.record_id else ''}\n"
        f"{visible(_plain_detail(record))}{reason}"
    )
