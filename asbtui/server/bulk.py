"""Loading whole tables into an empty central store with COPY (the central demo, benches)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import psycopg

from asbtui.disclosure import discloses
from asbtui.server.central import WRITE_LOCK, CentralError, is_empty
from asbtui.server.scopes import (
    FORCE,
    FORCE_TABLES,
    PARTNER_TABLES,
    agency_scope,
    district_scope,
    owner_scope,
    partner_may_read,
)


def bulk_load(conn: psycopg.Connection, tables: Iterable[tuple[str, Iterable[dict]]],
              device: str = "central") -> int:
    """Load whole tables (parents first) into an empty central store with COPY.

    The same records and change log as :func:`load_rows`, with each row's scopes worked
    out here from the rows themselves rather than asked of the database row by row. The
    rows' field writers are left empty: no device can have changed a field it never saw.
    """
    tables = [(name, list(rows)) for name, rows in tables]
    by_name = dict(tables)
    case_district = {r["id"]: r["district"] for r in by_name.get("case", [])}
    case_owner = {r["id"]: r.get("owner_id") for r in by_name.get("case", [])}
    officer_district = {r["id"]: r.get("district") for r in by_name.get("officer", [])}
    note_case = {r["id"]: r["case_id"] for r in by_name.get("partnernote", [])}
    problem_district = {r["id"]: r.get("district") for r in by_name.get("problem", [])}
    audiences: dict[str, set[str]] = {}
    for row in by_name.get("noteaudience", []):
        if not row.get("deleted"):
            audiences.setdefault(row["note_id"], set()).add(row["agency_id"])
    shares: dict[str, set[str]] = {}
    choices: dict[str, dict[str, str]] = {}
    for share in by_name.get("caseshare", []):
        if share.get("revoked_at") is None and not share.get("deleted"):
            shares.setdefault(share["case_id"], set()).add(share["agency_id"])
            choices.setdefault(share["case_id"], {})[share["agency_id"]] = \
                share.get("people") or ""
    versions: dict[str, int] = {}
    rev = 0
    with conn.transaction():
        if not is_empty(conn):
            raise CentralError("The central store already holds records.")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        with conn.cursor() as cur:
            with cur.copy("COPY record (tbl, key, data, fields, rev, district, case_id) "
                          "FROM STDIN") as records:
                changes: list[tuple] = []
                for table, rows in tables:
                    for data in rows:
                        rev += 1
                        if table == "case":
                            case_id = data["id"]
                        elif table == "noteaudience":
                            case_id = note_case.get(data.get("note_id"))
                        elif table in ("problemcase", "problemresponse"):
                            case_id = None
                        else:
                            case_id = data.get("case_id")
                        if table in FORCE_TABLES:
                            district = None
                        elif data.get("district"):
                            district = data["district"]
                        elif table in ("problemcase", "problemresponse"):
                            district = problem_district.get(data.get("problem_id"))
                        else:
                            district = case_district.get(case_id) if case_id else None
                        text = json.dumps(data, separators=(",", ":"))
                        records.write_row((table, data["id"], text, "{}", rev, district,
                                           case_id))
                        scopes = [FORCE] if table in FORCE_TABLES or district is None \
                            else [district_scope(district)]
                        owner = case_owner.get(case_id) if scopes != [FORCE] and case_id \
                            and table not in ("problemcase", "problemresponse") else None
                        if owner and officer_district.get(owner) != district:
                            scopes.append(owner_scope(owner))
                        if scopes != [FORCE] and case_id and table == "party" \
                                and not data.get("deleted"):
                            scopes += [agency_scope(a) for a, choice in sorted(
                                choices.get(case_id, {}).items()) if discloses(
                                    choice, data["id"], str(data.get("role") or ""),
                                    bool(data.get("withheld")))]
                        if scopes != [FORCE] and case_id and table in PARTNER_TABLES:
                            named = audiences.get(data["id"], set())
                            scopes += [agency_scope(a) for a in sorted(shares.get(case_id, ()))
                                       if partner_may_read(table, data, a, named)]
                        for scope in scopes:
                            versions[scope] = versions.get(scope, 0) + 1
                            changes.append((scope, versions[scope], table, data["id"],
                                            "upsert", text, rev, device))
            with cur.copy("COPY change (scope, version, tbl, key, op, data, rev, device) "
                          "FROM STDIN") as log:
                for row in changes:
                    log.write_row(row)
        for scope, version in versions.items():
            conn.execute("INSERT INTO scope_counter (scope, version) VALUES (%s, %s)",
                         (scope, version))
        conn.execute("SELECT setval('rev_seq', %s)", (max(rev, 1),))
    return rev
