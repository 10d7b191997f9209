"""The store's audit log (admins and supervisors): the newest events, by user if asked,
and a check of the hash chain in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from asbtui.literal import one_line, plural
from asbtui.screens.audit import entry_cells, entry_detail
from asbtui.screens.record_list import RecordListScreen
from asbtui.services import audit
from asbtui.services.access import Permission
from asbtui.services.audit import AuditEntry, ChainReport
from asbtui.widgets.footer import Footer

LIMIT = 500


def chain_words(report: ChainReport) -> Text:
    """What a chain check found, for a person rather than a log file."""
    if report.intact:
        return Text.assemble(
            ("The audit log is intact. ", "bold green"),
            f"{report.rows:,} rows checked, none changed, removed or inserted. The newest is "
            f"row {report.head_seq}, hash {report.head_hash}: note it elsewhere to check "
            "against later.")
    return Text.assemble(
        (f"{report.headline.capitalize()}. ", "bold red"),
        f"What is wrong: {report.problem}. Rows 1 to {report.head_seq} are intact. Tell "
        "your supervisor and the force's information security team.")


class AuditLogScreen(RecordListScreen[AuditEntry]):
    """The newest events of the whole store, newest first."""

    BINDINGS = [
        Binding("slash", "filter", "User", tooltip="Show only one user's events",
                id="audit_log.filter"),
        Binding("V", "verify", "Verify", tooltip="Check the audit log's hash chain is intact",
                id="audit_log.verify"),
    ]
    ACTION_PERMISSIONS: ClassVar[dict[str, Permission]] = {
        "verify": Permission.READ_AUDIT,
    }
    COLUMNS = ("#", "When", "Who", "Role", "Did", "Case", "Detail", "Reason")
    FAILED_TITLE = "Could not load the audit log"
    EMPTY = "nothing audited yet"

    @dataclass
    class Verified(Message):
        report: ChainReport

    @dataclass
    class VerifyFailed(Message):
        error: str

    def __init__(self) -> None:
        super().__init__()
        self.user_filter = ""

    def compose(self) -> ComposeResult:
        yield Static(id="records-title")
        yield Input(placeholder="User name, then enter (empty: everyone)", id="audit-user",
                    max_length=40, compact=True)
        yield DataTable(id="records", cursor_type="row", zebra_stripes=True)
        yield Static(id="chain-status")
        yield Static(id="row-detail")
        yield Footer()

    def title_text(self) -> Text:
        who = f" by {one_line(self.user_filter, 40)}" if self.user_filter else ""
        shown = len(self.records)
        count = f"newest {LIMIT}" if shown >= LIMIT else plural(shown, "event")
        return Text(f"Audit log{who} ({count}, newest first) · / user · V verify the chain",
                    style="bold")

    def fetch(self) -> list[AuditEntry]:
        return audit.recent(self.asb.store, limit=LIMIT, actor_name=self.user_filter or None)

    def key(self, record: AuditEntry) -> str:
        return str(record.seq)

    def cells(self, record: AuditEntry) -> list[Text]:
        return entry_cells(record, with_case=True)

    def detail(self, record: AuditEntry) -> Text:
        return entry_detail(record, with_case=True)

    # ------------------------------------------------------------------ filter

    def action_filter(self) -> None:
        self.query_one("#audit-user", Input).focus()

    @on(Input.Submitted, "#audit-user")
    def filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.user_filter = " ".join(event.value.split()).lower()
        self.query_one("#records", DataTable).focus()
        self.load()

    # ------------------------------------------------------------------ verify

    def action_verify(self) -> None:
        self.query_one("#chain-status", Static).update(
            Text("Checking every row of the audit log…", style="italic"))
        self.verify()

    @work(thread=True, exclusive=True, group="verify", exit_on_error=False,
          description="Checking the audit chain")
    def verify(self) -> None:
        try:
            report = audit.verify(self.asb.store)
        except Exception as error:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(self.VerifyFailed(str(error)))
            return
        self.post_message(self.Verified(report))

    @on(Verified)
    def verified(self, message: Verified) -> None:
        self.query_one("#chain-status", Static).update(chain_words(message.report))
        if message.report.intact:
            self.notify(f"Intact: {message.report.rows:,} rows.", title="Audit log",
                        markup=False)
        else:
            self.notify(f"{message.report.headline.capitalize()}.", title="Audit log",
                        severity="error", markup=False)

    @on(VerifyFailed)
    def verify_failed(self, message: VerifyFailed) -> None:
        self.query_one("#chain-status", Static).update("")
        self.notify(message.error, title="Could not check the audit log", severity="error",
                    markup=False)
