"""What the interface says: actions in words, columns that fit, choices kept per user."""

from __future__ import annotations

from datetime import UTC, datetime

from asbtui.literal import plural
from asbtui.preferences import Preferences
from asbtui.screens.audit import action_in_words
from asbtui.services.audit import AuditEntry
from asbtui.widgets.case_table import ALL_COLUMNS, layout

AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def entry(action: str, record_type: str, detail: str = "") -> AuditEntry:
    return AuditEntry(1, AT, "pc.thanet", "officer", action, record_type, "id-1", "THA-26-AAAAA",
                      detail, "")


def test_the_audit_names_actions_in_words_never_internal_keys() -> None:
    assert action_in_words(entry("create", "action step", "cpw: not_complied")) == (
        "CPW: not complied with")
    assert action_in_words(entry("create", "action", "closure: notice_issued")).startswith(
        "Closure notice and order: ")
    assert action_in_words(entry("change", "deadline", "status: open -> missed")) == (
        "Deadline missed")
    assert action_in_words(entry("view", "case")) == "Viewed case"
    assert action_in_words(entry("sign-in failed", "user")) == "Sign-in refused user"
    # A detail that is not a step is left as it is.
    assert action_in_words(entry("create", "action step", "odd")) == "Created action step"


def test_plurals_are_right() -> None:
    assert plural(1, "open case") == "1 open case"
    assert plural(0, "open case") == "0 open cases"
    assert plural(1234, "report") == "1,234 reports"
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(2, "entry", "entries") == "2 entries"


def test_queue_columns_fit_the_width_in_priority_order() -> None:
    narrow = layout(80)
    assert list(narrow) == ["ref", "risk", "due", "status", "location"]
    assert sum(w + 2 for w in narrow.values()) <= 78
    wide = layout(120)
    assert list(wide)[:7] == ["ref", "risk", "due", "status", "location", "summary", "owner"]
    assert sum(w + 2 for w in wide.values()) <= 118
    assert list(layout(200)) == list(ALL_COLUMNS)
    # Leaving out summary and owner makes room for category and opened at 120.
    chosen = [k for k in ALL_COLUMNS if k not in ("summary", "owner")]
    assert list(layout(120, chosen))[-2:] == ["category", "opened"]
    assert "ref" in layout(30, ["status"])  # the reference always shows


def test_preferences_are_kept_per_user_and_survive_a_damaged_file(tmp_path) -> None:
    path = tmp_path / "preferences.json"
    prefs = Preferences(path)
    assert prefs.get("pc.thanet", "queue_columns") is None
    prefs.set("pc.thanet", "queue_columns", ["ref", "status"])
    prefs.set("sup.thanet", "queue_columns", ["ref"])
    assert Preferences(path).get("pc.thanet", "queue_columns") == ["ref", "status"]
    assert Preferences(path).get("sup.thanet", "queue_columns") == ["ref"]
    path.write_text("{not json", encoding="utf-8")
    assert Preferences(path).get("pc.thanet", "queue_columns") is None
