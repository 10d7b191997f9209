"""The outbox: every local write to a synced table, recorded by SQLite triggers.

Triggers, not the ORM's ``before_flush``: they see every write in the write's own
transaction, ORM and Core bulk writes alike (the demo, a bulk reassign), and the outbox
sequence comes from the same transaction, so two processes on one store never clash.
Recording is on once the store is enrolled (``sync_state.recording = '1'``) and is switched
off inside the transaction that applies pulled changes, so nothing pulled is pushed back.
"""

from __future__ import annotations

from collections.abc import Iterable

# Fields that stay on the device: sign-in lockout counts are per device.
LOCAL_FIELDS = {"app_user": frozenset({"failed_attempts", "locked_until"})}
# Bookkeeping fields: sent with each change, never a change (or conflict) by themselves.
STAMP_FIELDS = frozenset({"updated_at", "origin"})

RECORDING = "(SELECT value FROM sync_state WHERE key = 'recording') = '1'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def trigger_sql(table: str, columns: Iterable[str]) -> list[str]:
    """CREATE TRIGGER statements that record inserts and updates of ``table``."""
    columns = [c for c in columns if c not in LOCAL_FIELDS.get(table, ())]
    q = _quote(table)
    whole = ", ".join(f"'{c}', NEW.{_quote(c)}" for c in columns)
    base = f"(SELECT rev FROM sync_row WHERE tbl = '{table}' AND key = NEW.id)"
    # A row stamped with nothing else changed (the ORM stamps every row it flushes) still
    # goes out, so that both sides hold the same stamps; except where the only change can
    # be a local field (a sign-in resetting its lockout count).
    watched = [c for c in columns if c not in STAMP_FIELDS or table not in LOCAL_FIELDS]
    any_changed = " OR ".join(f"OLD.{_quote(c)} IS NOT NEW.{_quote(c)}" for c in watched)
    parts = " UNION ALL ".join(
        f"SELECT '{c}' AS k, NEW.{_quote(c)} AS v WHERE OLD.{_quote(c)} IS NOT NEW.{_quote(c)}"
        + (" OR 1" if c in STAMP_FIELDS else "")
        for c in columns)
    return [
        f"CREATE TRIGGER {insert_trigger(table)} AFTER INSERT ON {q} WHEN {RECORDING} BEGIN "
        f"INSERT INTO sync_outbox(tbl, key, op, fields, base, at) VALUES ('{table}', NEW.id, "
        f"'insert', json_object({whole}), {base}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')); END",
        f"CREATE TRIGGER sync_{table}_update AFTER UPDATE ON {q} WHEN {RECORDING} "
        f"AND ({any_changed}) BEGIN "
        f"INSERT INTO sync_outbox(tbl, key, op, fields, base, at) VALUES ('{table}', NEW.id, "
        f"'update', (SELECT json_group_object(k, v) FROM ({parts})), {base}, "
        f"strftime('%Y-%m-%dT%H:%M:%fZ', 'now')); END",
    ]


def insert_trigger(table: str) -> str:
    """The name of the trigger that records a row inserted into ``table``."""
    return f"sync_{table}_insert"


def drop_trigger_sql(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {insert_trigger(table)}",
            f"DROP TRIGGER IF EXISTS sync_{table}_update"]


BOOKKEEPING_SQL = [
    # seq is the device sequence: AUTOINCREMENT never reuses a number, even after the
    # acknowledged rows are deleted.
    "CREATE TABLE sync_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, "
    "key TEXT NOT NULL, op TEXT NOT NULL, fields TEXT NOT NULL, base INTEGER, at TEXT NOT NULL)",
    "CREATE INDEX ix_sync_outbox_row ON sync_outbox (tbl, key)",
    # The server revision of each row this device last took in (the 'version last seen').
    "CREATE TABLE sync_row (tbl TEXT NOT NULL, key TEXT NOT NULL, rev INTEGER NOT NULL, "
    "PRIMARY KEY (tbl, key)) WITHOUT ROWID",
    # How far each scope has been pulled.
    "CREATE TABLE sync_cursor (scope TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    # Enrolment, recording switch, last sync.
    "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT INTO sync_state (key, value) VALUES ('recording', '0')",
]
BOOKKEEPING_TABLES = ("sync_outbox", "sync_row", "sync_cursor", "sync_state")

# Open conflicts the central store reported (on push, and at each sync's hello): a
# supervisor's My day lists those of their districts even offline. Replaced at each sync,
# so settled ones go. Frozen here as migration 0015 made it.
CONFLICT_TABLE_SQL = [
    "CREATE TABLE sync_conflict (id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, key TEXT NOT NULL, "
    "field TEXT NOT NULL, district TEXT, case_ref TEXT, opened_at TEXT NOT NULL, "
    "server_user TEXT, device_user TEXT)",
    "CREATE INDEX ix_sync_conflict_district ON sync_conflict (district)",
]
