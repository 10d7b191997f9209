"""Sync with the central PostgreSQL store, end to end: the real service on a loopback port,
a database of each test's own, devices as SQLite stores enrolled with it."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fresh import new_store
from sync_world import (
    AGENCY,
    PIN,
    Device,
    World,
    assert_device_matches_server,
    assert_same_rows,
    build_seed,
    device_rows,
    world_at,
)

from asbtui.db import Store, open_store
from asbtui.models import every_table
from asbtui.server import central
from asbtui.services import cases, partners, search, users
from asbtui.sync import engine
from asbtui.sync.outbox import LOCAL_FIELDS
from asbtui.sync.transport import HttpTransport, SyncError


@pytest.fixture(scope="session")
def seed_rows(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, list[dict]]]:
    return build_seed(tmp_path_factory.mktemp("sync-seed") / "seed.db")


@pytest.fixture
def world(tmp_path: Path, seed_rows) -> World:  # noqa: ANN001
    with world_at(tmp_path, seed_rows) as made:
        yield made


def _refs(device: Device, district: str | None = None) -> list[str]:
    with device.store.engine.connect() as connection:
        query = 'SELECT ref FROM "case" WHERE deleted = 0'
        if district:
            query += f" AND district = '{district}'"
        return sorted(connection.exec_driver_sql(query + " ORDER BY ref").scalars())


def _case_field(device: Device, ref: str, name: str) -> Any:
    with device.store.engine.connect() as connection:
        return connection.exec_driver_sql(f'SELECT "{name}" FROM "case" WHERE ref = ?',
                                          (ref,)).scalar()


def _shared_refs(world: World) -> set[str]:
    with world.connect() as conn:
        return {r[0] for r in conn.execute(
            "SELECT c.data->>'ref' FROM record s JOIN record c ON c.tbl = 'case' "
            "AND c.key = s.case_id WHERE s.tbl = 'caseshare' "
            "AND s.data->'revoked_at' = 'null'::jsonb")}


# ------------------------------------------------------------------------- the outbox


def test_the_outbox_triggers_cover_every_column_of_every_synced_table(tmp_path) -> None:
    with open_store(tmp_path / "t.db", create=True) as store, store.engine.connect() as c:
        triggers = dict(c.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'sync_%'").all())
    for table in every_table().sorted_tables:
        if "origin" not in table.columns:
            continue
        insert = triggers[f"sync_{table.name}_insert"]
        for column in table.columns:
            # Generated columns are SQLite's own (never written); local fields stay here.
            if column.computed is not None or column.name in LOCAL_FIELDS.get(table.name, ()):
                assert f"NEW.\"{column.name}\"" not in insert
            else:
                assert f"'{column.name}', NEW.\"{column.name}\"" in insert, (table, column)


def test_an_unenrolled_store_records_nothing(store) -> None:  # noqa: ANN001
    cases.add_officer(store, "PC 1", "Officer One", "THA")
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar() == 0


def test_each_write_is_recorded_with_its_changed_fields_only(store) -> None:  # noqa: ANN001
    with store.engine.begin() as c:
        c.exec_driver_sql("UPDATE sync_state SET value = '1' WHERE key = 'recording'")
    ref = cases.create_case(store, cases.NewCase(district="THA", category="nuisance",
                                                 summary="Loud music"))
    cases.set_risk(store, ref, "high")
    with store.engine.connect() as c:
        rows = c.exec_driver_sql("SELECT seq, tbl, op, fields FROM sync_outbox "
                                 "WHERE tbl = 'case' ORDER BY seq").all()
        # the change of risk is also a correction, kept in the case's history (synced too)
        assert c.exec_driver_sql("SELECT count(*) FROM sync_outbox "
                                 "WHERE tbl = 'correction'").scalar() >= 1
    assert [r.tbl for r in rows] == ["case", "case"]
    assert [r.op for r in rows] == ["insert", "update"]
    assert json.loads(rows[0].fields)["summary"] == "Loud music"
    changed = set(json.loads(rows[1].fields))
    assert "risk" in changed and "summary" not in changed
    assert rows[1].seq > rows[0].seq


def test_two_processes_on_one_store_never_share_a_device_sequence(store_path) -> None:  # noqa: ANN001
    import multiprocessing

    with open_store(store_path) as store, store.engine.begin() as c:
        c.exec_driver_sql("UPDATE sync_state SET value = '1' WHERE key = 'recording'")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_add_officers, args=(str(store_path), n))
               for n in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    raw = sqlite3.connect(store_path)
    seqs = [r[0] for r in raw.execute("SELECT seq FROM sync_outbox")]
    raw.close()
    assert len(seqs) == 40 and len(set(seqs)) == 40


def _add_officers(path: str, worker: int) -> None:
    with open_store(path) as store:
        for number in range(20):
            cases.add_officer(store, f"PC {worker}{number:03}", "Officer", "THA")


# ------------------------------------------------------------------------- scopes


def test_an_officer_pulls_the_force_and_their_district_and_a_partner_only_shared_cases(
        world: World) -> None:
    officer = world.device("car1", "pc")
    partner = world.device("council1", "tdc")
    assert len(_refs(officer)) == 5 and _refs(officer, "MED") == []
    assert _refs(partner) == sorted(_shared_refs(world))
    assert len(_refs(partner)) == 1
    officer.sync()
    assert_device_matches_server(world, officer)
    assert_device_matches_server(world, partner, None)


def test_reassigning_on_the_supervisors_device_reaches_the_officers(world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(supervisor)[2]
    cases.assign_owner(supervisor.store, ref, "PC 2")
    report = supervisor.sync()
    assert report.pushed >= 1 and report.conflicts == []
    officer.sync()
    owner = _case_field(officer, ref, "owner_id")
    with officer.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT collar FROM officer WHERE id = ?",
                                 (owner,)).scalar() == "PC 2"
    assert cases.case_detail(officer.store, ref).ref == ref


def test_changes_to_one_row_in_one_push_each_build_on_the_one_before(world: World) -> None:
    # The service reads a push's rows once, then keeps them as it writes: a later change
    # must see what an earlier one in the same batch did, not the row as first read.
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(supervisor)[2]
    other = "medium" if _case_field(supervisor, ref, "risk") == "high" else "high"
    cases.set_risk(supervisor.store, ref, other)
    cases.assign_owner(supervisor.store, ref, "PC 2")
    cases.set_risk(supervisor.store, ref, "standard" if other != "standard" else "medium")
    final = _case_field(supervisor, ref, "risk")
    report = supervisor.sync()
    assert report.pushed >= 3 and report.conflicts == [] and report.refused == []
    officer.sync()
    assert _case_field(officer, ref, "risk") == final
    owner = _case_field(officer, ref, "owner_id")
    with officer.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT collar FROM officer WHERE id = ?",
                                 (owner,)).scalar() == "PC 2"
    assert world.scalar("SELECT data->>'risk' FROM record WHERE tbl = 'case' "
                        f"AND data->>'ref' = '{ref}'") == final


def test_stopping_a_share_removes_the_case_from_the_partners_device(world: World) -> None:
    supervisor = world.device("desk1", "sup")
    partner = world.device("council1", "tdc")
    shared = _refs(partner)[0]
    newly = [r for r in _refs(supervisor) if r != shared][0]
    partners.share_case(supervisor.store, newly, AGENCY, "Joint visit")
    supervisor.sync()
    partner.sync()
    assert _refs(partner) == sorted([shared, newly])
    partners.revoke_share(supervisor.store, shared, AGENCY)
    supervisor.sync()
    report = partner.sync()
    assert report.removed == 1
    assert _refs(partner) == [newly]
    with partner.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM incident WHERE case_ref = ?",
                                 (shared,)).scalar() == 0


def _officer_id(device: Device, collar: str) -> str:
    with device.store.engine.connect() as c:
        return c.exec_driver_sql("SELECT id FROM officer WHERE collar = ?", (collar,)).scalar()


def _set_owner(device: Device, ref: str, officer_id: str) -> None:
    """A reassignment written as the device writes it (the outbox trigger records it)."""
    with device.store.engine.begin() as c:
        c.exec_driver_sql('UPDATE "case" SET owner_id = ? WHERE ref = ?', (officer_id, ref))


def test_a_patrol_device_holds_the_cases_its_officer_owns_in_other_districts(
        world: World) -> None:
    car = world.device("car1", "pc")  # PC 1, of Thanet
    narrow = world.device("car2", "pc", owned=False)  # enrolled for Thanet only
    medway = world.device("medcar", "medpc")
    ref = _refs(medway, "MED")[0]
    medway.sign_in()
    cases.add_incident(medway.store, ref, cases.NewIncident(
        occurred_at=datetime.now(UTC) - timedelta(hours=1), channel="101",
        incident_type="noise", description="Music"))
    _set_owner(medway, ref, _officer_id(medway, "PC 1"))
    medway.sync()
    car.sync()
    narrow.sync()
    assert _refs(car, "MED") == [ref]  # owned elsewhere: on the car, whole
    assert _refs(narrow, "MED") == []
    assert_device_matches_server(world, car)
    with car.store.engine.connect() as c:
        case_id = c.exec_driver_sql('SELECT id FROM "case" WHERE ref = ?', (ref,)).scalar()
    on_case = {key for key, d in world.server_rows().items()
               if d.get("case_id") == case_id or key == ("case", case_id)}
    assert len(on_case) > 1 and on_case <= set(device_rows(car.store))
    # Given to a Medway officer, it leaves the car at its next sync.
    _set_owner(medway, ref, _officer_id(medway, "PC 3"))
    medway.sync()
    report = car.sync()
    assert report.removed == 1 and _refs(car, "MED") == []
    assert len(_refs(car)) == 5  # its own district's cases stay
    assert_device_matches_server(world, car)


def test_an_eviction_keeps_a_case_the_device_holds_by_its_district(world: World) -> None:
    car = world.device("car1", "pc")
    ref = _refs(car, "THA")[0]
    with car.store.engine.begin() as c:
        case_id = c.exec_driver_sql('SELECT id FROM "case" WHERE ref = ?', (ref,)).scalar()
        assert engine._evict(c, case_id, {"district": "THA", "owner_id": None}) == 0
        assert engine._evict(c, case_id, {"district": "MED", "owner_id": "x"}) == 1


# ------------------------------------------------------------------------- refusals


def test_a_revoked_device_is_refused_and_its_local_work_kept(world: World) -> None:
    officer = world.device("car1", "pc")
    ref = _refs(officer)[0]
    cases.set_risk(officer.store, ref, "high")
    with world.connect() as conn:
        central.revoke_device(conn, "car1")
    with pytest.raises(SyncError, match="revoked"):
        officer.sync()
    with officer.store.engine.connect() as c:
        waiting = sorted(r[0] for r in c.exec_driver_sql("SELECT tbl FROM sync_outbox"))
    # the change of risk, and its correction in the case's history, still wait to go
    assert "case" in waiting and "correction" in waiting
    assert engine.status(officer.store).pending == len(waiting)
    assert _case_field(officer, ref, "risk") == "high"


def test_an_unknown_user_an_old_app_and_a_dead_server_each_get_one_plain_line(
        world: World) -> None:
    officer = world.device("car1", "pc")
    stranger = Device("car1", officer.store, "nobody", officer.url, officer.key)
    with pytest.raises(SyncError, match="no active user"):
        stranger.sync()
    old = HttpTransport(officer.url, officer.key, "pc")
    old.client.headers["x-asbtui-protocol"] = "0"
    with pytest.raises(SyncError, match="update asbtui"):
        engine.sync(officer.store, old)
    dead = HttpTransport("http://127.0.0.1:9", officer.key, "pc")
    with pytest.raises(SyncError, match="Cannot reach"):
        engine.sync(officer.store, dead)
    with world.connect() as conn, pytest.raises(central.CentralError, match="not valid"):
        central.claim_enrolment(conn, "AAAA-BBBB-CCCC", "x")


# ------------------------------------------------------------------------- conflicts


def test_one_field_changed_on_two_devices_gives_one_conflict_settled_by_a_supervisor(
        world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(officer)[1]
    cases.set_risk(officer.store, ref, "high")
    cases.set_risk(supervisor.store, ref, "medium")
    assert officer.sync().conflicts == []
    report = supervisor.sync()
    # Risk, and the review date each risk brought forward: one conflict for each field.
    assert sorted(c["field"] for c in report.conflicts) == ["next_review", "risk"]
    assert [(c["server_value"], c["device_value"]) for c in report.conflicts
            if c["field"] == "risk"] == [("high", "medium")]
    # Told, the supervisor's device takes the central value; nothing was overwritten.
    assert _case_field(supervisor, ref, "risk") == "high"
    supervisor.sync_until_quiet()
    with world.connect() as conn:
        caller = central.authenticate(conn, supervisor.key, "sup")
        open_ones = [c for c in central.list_conflicts(conn, caller) if c["field"] == "risk"]
        assert len(open_ones) == 1 and open_ones[0]["ref"] == ref
        assert open_ones[0]["server_user"] == "pc" and open_ones[0]["device_user"] == "sup"
        officer_caller = central.authenticate(conn, officer.key, "pc")
        with pytest.raises(central.CentralError, match="supervisor"):
            central.list_conflicts(conn, officer_caller)
        central.resolve_conflict(conn, caller, open_ones[0]["id"], "medium")
        assert [c["field"] for c in central.list_conflicts(conn, caller)] == ["next_review"]
    officer.sync()
    supervisor.sync()
    assert _case_field(officer, ref, "risk") == "medium"
    assert _case_field(supervisor, ref, "risk") == "medium"


def test_a_supervisors_day_lists_the_districts_conflicts_offline_until_settled(
        world: World) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app
    from asbtui.services import day

    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    other_desk = world.device("desk2", "sup")
    ref = _refs(officer)[1]
    cases.set_risk(officer.store, ref, "high")
    cases.set_risk(supervisor.store, ref, "medium")
    officer.sync()
    raised = supervisor.sync().conflicts
    assert len(raised) == 2
    other_desk.sync()  # told at its next sync, though it raised none

    def conflicts(device: Device) -> list[tuple[str, str]]:
        return sorted((i.case_ref, i.record_id) for i in day.my_day(device.store).items
                      if i.kind is day.ItemKind.CONFLICT)

    wanted = sorted((ref, str(c["id"])) for c in raised)
    # No transport from here on: My day reads what the device holds.
    assert conflicts(supervisor) == conflicts(other_desk) == wanted
    assert not [i for i in day.my_day(officer.store).items if i.kind is day.ItemKind.CONFLICT]
    today = CliRunner().invoke(app, ["--db", str(other_desk.store.path), "--user", "sup",
                                     "today", "--json"], env={"ASBTUI_PIN": PIN})
    assert today.exit_code == 0, today.output
    listed = [i for i in json.loads(today.output) if i["kind"] == "conflict"]
    assert sorted((i["case_ref"], i["id"]) for i in listed) == wanted
    assert all(i["when"] == "today" for i in listed)
    with world.connect() as conn:
        caller = central.authenticate(conn, supervisor.key, "sup")
        central.resolve_conflict(conn, caller, raised[0]["id"], "medium")
    other_desk.sync()
    assert conflicts(other_desk) == [w for w in wanted if w[1] != str(raised[0]["id"])]
    assert conflicts(supervisor) == wanted  # until its own next sync
    supervisor.sync()
    assert conflicts(supervisor) == conflicts(other_desk)


def test_the_same_value_from_two_devices_is_no_conflict(world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(officer)[1]
    cases.set_risk(officer.store, ref, "high")
    cases.set_risk(supervisor.store, ref, "high")
    officer.sync()
    assert supervisor.sync().conflicts == []


def test_append_only_records_from_two_devices_merge_by_union(world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(officer)[0]
    at = datetime.now(UTC) - timedelta(hours=1)
    for device, text in ((officer, "Music from the garden"), (supervisor, "Shouting")):
        cases.add_incident(device.store, ref, cases.NewIncident(
            occurred_at=at, channel="101", incident_type="noise", description=text))
    for device in (officer, supervisor, officer):
        device.sync()
    for device in (officer, supervisor):
        with device.store.engine.connect() as c:
            texts = set(c.exec_driver_sql("SELECT description FROM incident WHERE case_ref = ?",
                                          (ref,)).scalars())
        assert {"Music from the garden", "Shouting"} <= texts


# ------------------------------------------------------------------------- faults


class Cut(Exception):
    """The connection (or the client) dies here."""


class CuttingTransport:
    """The real transport, cut once: before a request, or after the server answered it."""

    def __init__(self, inner: HttpTransport, path: str, *, after: bool) -> None:
        self.inner, self.path, self.after, self.done = inner, path, after, False

    def post(self, path: str, body: dict[str, Any]) -> Any:
        if path == self.path and not self.done and not self.after:
            self.done = True
            raise Cut(f"cut before {path}")
        answer = self.inner.post(path, body)
        if path == self.path and not self.done:
            self.done = True
            raise Cut(f"answer to {path} lost")
        return answer

    def stream(self, path: str, body: dict[str, Any]) -> Any:
        return self.inner.stream(path, body)


def _work(device: Device, rng: random.Random, count: int, *, avoid: str = "",
          risk: bool = True) -> None:
    refs = [r for r in _refs(device, "THA") if r != avoid]
    for _ in range(count):
        ref = rng.choice(refs)
        kind = rng.random()
        if kind < 0.4 or (not risk and kind < 0.7):
            cases.add_incident(device.store, ref, cases.NewIncident(
                occurred_at=datetime.now(UTC) - timedelta(minutes=rng.randint(1, 600)),
                channel="101", incident_type="noise", description=f"Report {rng.random():.6f}"))
        elif kind < 0.7:
            risk = rng.choice(["standard", "medium", "high"])
            if _case_field(device, ref, "risk") != risk:
                cases.set_risk(device.store, ref, risk)
        else:
            partners.add_note(device.store, ref, f"Visited {rng.random():.6f}")


def _assert_exactly_once(world: World, device: Device) -> None:
    with world.connect() as conn:
        device_id = conn.execute("SELECT id FROM device WHERE key_hash IS NOT NULL AND name = %s",
                                 (device.name,)).fetchone()[0]
        applied = [r[0] for r in conn.execute(
            "SELECT seq FROM applied WHERE device = %s ORDER BY seq", (device_id,))]
        last = conn.execute("SELECT last_seq FROM device WHERE id = %s",
                            (device_id,)).fetchone()[0]
        logged = conn.execute("SELECT count(*), count(DISTINCT seq) FROM change WHERE device = %s "
                              "AND seq IS NOT NULL AND scope LIKE 'district:%%'",
                              (device_id,)).fetchone()
    with device.store.engine.connect() as c:
        made = c.exec_driver_sql("SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'"
                                 ).scalar() or 0
        pending = c.exec_driver_sql("SELECT count(*) FROM sync_outbox").scalar()
    assert pending == 0
    assert applied == list(range(applied[0], made + 1)) if applied else made == 0
    assert last == made
    assert logged[0] == logged[1]  # one change-log entry per (device, sequence) in a scope


def _assert_audit_chains_agree(device: Device) -> None:
    """The device's chain verifies, and matches every link the central store holds."""
    from asbtui.services import audit

    assert audit.verify.__wrapped__(device.store).intact  # any role: the test's own check
    transport = device.transport()
    try:
        check = engine.verify_against_central(device.store, transport)
    finally:
        transport.close()
    assert check.problem == "" and check.checked > 0


def _assert_cursors_not_ahead(world: World, device: Device) -> None:
    with world.connect() as conn:
        heads = dict(conn.execute("SELECT scope, version FROM scope_counter").fetchall())
    for scope, version in engine.cursors(device.store).items():
        assert version <= heads.get(scope, 0)


CUTS = [("/v1/push", False), ("/v1/push", True), ("/v1/pull", False), ("/v1/pull", True)]
STEPS = ["push sent", "push answered", "outbox cleared", "page applied", "cursor saved"]


def test_a_sync_cut_at_any_step_then_run_again_leaves_both_sides_equal(world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    rng = random.Random(15)
    faults: list[tuple[str, Any]] = [(f"transport {p} {'after' if a else 'before'}", (p, a))
                                     for p, a in CUTS]
    faults += [(f"step {s}", s) for s in STEPS]
    for label, fault in faults:
        _work(officer, rng, 6)
        _work(supervisor, rng, 2)
        supervisor.sync()
        if isinstance(fault, tuple):
            transport = CuttingTransport(officer.transport(), fault[0], after=fault[1])
            with pytest.raises(Cut):
                engine.sync(officer.store, transport, page=3)
        else:
            def checkpoint(step: str, wanted: str = fault) -> None:
                if step == wanted:
                    raise Cut(step)
            with pytest.raises(Cut):
                officer.sync(checkpoint=checkpoint, page=3)
        _assert_cursors_not_ahead(world, officer)
        officer.sync_until_quiet()
        supervisor.sync_until_quiet()
        _assert_exactly_once(world, officer)
        for device in (officer, supervisor):
            assert_device_matches_server(world, device)
            _assert_audit_chains_agree(device)
        assert_same_rows(officer.store, supervisor.store, label)


def test_a_client_killed_mid_sync_resumes_where_it_stopped(world: World, tmp_path) -> None:
    """A sync process killed with SIGKILL in the middle of its pull; the next one finishes."""
    import multiprocessing
    import os
    import signal

    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    _work(supervisor, random.Random(3), 30)
    supervisor.sync()
    path = officer.store.path
    officer.store.close()
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    worker = context.Process(target=_slow_sync, args=(str(path), ready))
    worker.start()
    assert ready.wait(60)
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(30)
    officer.store = open_store(path)
    officer.sign_in()
    _assert_cursors_not_ahead(world, officer)
    officer.sync_until_quiet()
    assert_same_rows(officer.store, supervisor.store)


def _slow_sync(path: str, ready: Any) -> None:
    import time

    with open_store(path) as store:
        url, key = engine.credentials(store)
        transport = HttpTransport(url, key, "pc")
        pages = {"n": 0}

        def checkpoint(step: str) -> None:
            if step == "cursor saved":
                pages["n"] += 1
                if pages["n"] == 2:
                    ready.set()
                    time.sleep(60)

        engine.sync(store, transport, checkpoint=checkpoint, page=5)


# ------------------------------------------------------------------------- convergence


def test_three_devices_working_offline_in_random_orders_converge(world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    partner = world.device("council1", "tdc")
    devices = [officer, supervisor, partner]
    rng = random.Random(2026)
    expected_conflicts = 0
    seen_people: set[str] = set()
    for _round in range(12):
        # Each round starts with every device up to date; then officer and supervisor may
        # both change one case's risk offline (set_risk also moves the review date), the
        # officer works on other cases, the supervisor shares or stops sharing one, the
        # partner writes notes on what it holds, and all sync in a random order.
        ref = rng.choice(_refs(officer, "THA"))
        editors = rng.sample([officer, supervisor], rng.randint(0, 2))
        values = rng.sample(["standard", "medium", "high"], 2)
        for device, value in zip(editors, values, strict=False):
            if _case_field(device, ref, "risk") != value:
                cases.set_risk(device.store, ref, value)
        pending = [_pending_case_fields(device, ref) for device in (officer, supervisor)]
        expected_conflicts += sum(1 for name, value in pending[0].items()
                                  if name in pending[1] and pending[1][name] != value)
        _work(officer, rng, rng.randint(0, 3), avoid=ref, risk=False)
        if rng.random() < 0.5:
            shared = [r for r in _refs(supervisor, "THA") if r in _shared_refs(world)]
            if shared and rng.random() < 0.4:
                partners.revoke_share(supervisor.store, rng.choice(shared), AGENCY)
            else:
                candidates = [r for r in _refs(supervisor, "THA") if r not in _shared_refs(world)]
                if candidates:
                    partners.share_case(supervisor.store, rng.choice(candidates), AGENCY,
                                        "Joint problem solving")
        # People come and go, some withheld from partners.
        target = rng.choice(sorted(_shared_refs(world)) or _refs(supervisor, "THA"))
        cases.add_party(supervisor.store, target, cases.PersonInput(
            name=f"Person {_round}", role=rng.choice(["victim", "victim", "perpetrator"]),
            withheld=rng.random() < 0.3))
        if rng.random() < 0.3:
            held = sorted(_people(supervisor))
            if held:
                chosen = rng.choice(held)
                with supervisor.store.engine.connect() as c:
                    now = c.exec_driver_sql("SELECT withheld FROM party WHERE id = ?",
                                            (chosen,)).scalar()
                _withhold(supervisor, chosen, not now)
        for shared_ref in _refs(partner):
            if rng.random() < 0.3:
                partners.add_note(partner.store, shared_ref, "Tenancy warning sent",
                                  visibility="all_partners")
        for device in rng.sample(devices, len(devices)):
            device.sync()
            if device is partner:
                # Once synced, the partner holds no case the central store does not share
                # with its agency.
                assert set(_refs(partner)) <= _shared_refs(world)
                assert _people(partner) <= _disclosed_people(world)  # never one withheld
                seen_people |= _people(partner)
        for device in rng.sample(devices, len(devices)) * 2:
            device.sync_until_quiet()
    for _ in range(2):
        for device in devices:
            device.sync_until_quiet()
    assert_same_rows(officer.store, supervisor.store)
    assert set(_refs(partner)) == _shared_refs(world)
    assert _people(partner) == _disclosed_people(world)
    assert seen_people  # the partner did hold people on the way
    for device in devices:
        assert_device_matches_server(world, device, None if device is partner else ("THA",))
    with world.connect() as conn:
        conflicts = conn.execute("SELECT tbl, key, field, count(*) FROM conflict "
                                 "GROUP BY 1, 2, 3, device_at").fetchall()
    assert all(n == 1 for *_k, n in conflicts)
    assert len(conflicts) == expected_conflicts > 0


def _pending_case_fields(device: Device, ref: str) -> dict[tuple[str, str, str], Any]:
    """The fields of one case, and of its victims' update plans (a new risk moves their
    frequency and next update), that this device changed and has not pushed, with their
    values, by (table, row, field)."""
    fields: dict[tuple[str, str, str], Any] = {}
    with device.store.engine.connect() as c:
        for tbl, key, text in c.exec_driver_sql(
                "SELECT o.tbl, o.key, o.fields FROM sync_outbox o JOIN \"case\" k ON k.ref = ? "
                "WHERE (o.tbl = 'case' AND o.key = k.id) OR (o.tbl = 'victimupdateplan' AND "
                "o.key IN (SELECT id FROM victimupdateplan WHERE case_id = k.id)) "
                "ORDER BY o.seq", (ref,)):
            fields.update({(tbl, key, n): v for n, v in json.loads(text).items()})
    return {k: v for k, v in fields.items() if k[2] not in ("updated_at", "origin")}


# ------------------------------------------------------------------------- the CLI


def test_the_cli_enrols_a_device_and_syncs_it(world: World, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app

    runner = CliRunner()
    env = {"ASBTUI_CENTRAL_URL": world.url}
    made = runner.invoke(app, ["server", "enrol-device", "Patrol car 7"], env=env)
    assert made.exit_code == 0, made.stderr
    code = made.stdout.strip().splitlines()[-1].split()[-1]
    db = tmp_path / "car7.db"
    monkeypatch.setenv("ASBTUI_KEY", "correct horse battery")
    enrolled = runner.invoke(app, ["--db", str(db), "sync", "enrol", world.address, code])
    assert enrolled.exit_code == 0, enrolled.stderr
    # a new device store is encrypted: no SQLite header, nothing readable without the key
    assert not db.read_bytes().startswith(b"SQLite format 3")
    again = runner.invoke(app, ["--db", str(tmp_path / "other.db"), "sync", "enrol",
                                world.address, code])
    assert again.exit_code == 1 and "not valid" in again.stderr
    wrong = runner.invoke(app, ["--db", str(db), "--user", "pc", "sync"],
                          env={"ASBTUI_PIN": "000000"})
    assert wrong.exit_code == 1 and "do not match" in wrong.stderr
    first = runner.invoke(app, ["--db", str(db), "--user", "pc", "sync", "--json"],
                          env={"ASBTUI_PIN": PIN})
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["pulled"] > 0
    second = runner.invoke(app, ["--db", str(db), "--user", "pc", "sync"],
                           env={"ASBTUI_PIN": PIN})
    assert second.exit_code == 0, second.stderr
    assert "last good sync" in second.stdout
    listed = runner.invoke(app, ["--db", str(db), "--user", "pc", "conflicts", "list"],
                           env={"ASBTUI_PIN": PIN})
    assert listed.exit_code == 1 and "supervisor" in listed.stderr
    revoked = runner.invoke(app, ["server", "revoke-device", "Patrol car 7"], env=env)
    assert revoked.exit_code == 0
    refused = runner.invoke(app, ["--db", str(db), "--user", "pc", "sync"],
                            env={"ASBTUI_PIN": PIN})
    assert refused.exit_code == 1 and "revoked" in refused.stderr
    bad = runner.invoke(app, ["server", "migrate", "--central", "mysql://x"])
    assert bad.exit_code == 1 and bad.stderr.count("\n") == 1


def test_users_made_centrally_sign_in_on_a_new_device(world: World) -> None:
    device = world.device("car1", "pc", sign_in=False)
    actor = users.sign_in(device.store, "pc", PIN)
    assert actor.role.value == "officer"
    with device.store.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM app_user")).scalar() == 5


def test_the_server_refuses_a_change_outside_the_users_districts(world: World) -> None:
    officer = world.device("car1", "pc")
    medway = world.device("car2", "medpc")
    ref = _refs(officer)[0]
    # A Medway officer's device pushing a change to a Thanet case (sent by hand here: the
    # app refuses it before it is written) is refused, and the server's row stands.
    with officer.store.engine.connect() as c:
        case = dict(c.exec_driver_sql('SELECT * FROM "case" WHERE ref = ?', (ref,)).mappings()
                    .one())
    transport = medway.transport()
    answer = transport.post("/v1/push", {"changes": [{
        "seq": 10_000, "table": "case", "key": case["id"], "op": "update",
        "fields": {"risk": "high"}, "base": 0, "at": "2026-11-26T00:00:00Z"}]})
    transport.close()
    assert [(r["table"], r["key"], r["outcome"], r["ref"]) for r in answer["refused"]] == [
        ("case", case["id"], "put back", ref)]
    assert world.scalar("SELECT data->>'risk' FROM record WHERE tbl = 'case' AND key = %s",
                        case["id"]) == case["risk"]
    # Nor may it move the case into its own district.
    transport = medway.transport()
    moved = transport.post("/v1/push", {"changes": [{
        "seq": 10_001, "table": "case", "key": case["id"], "op": "update",
        "fields": {"district": "MED"}, "base": 0, "at": "2026-11-26T00:00:00Z"}]})
    transport.close()
    assert moved["refused"] and world.scalar(
        "SELECT district FROM record WHERE tbl = 'case' AND key = %s", case["id"]) == "THA"


def test_a_refused_row_does_not_stay_silently_on_the_device(world: World,
                                                            monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from asbtui.cli import app

    medway = world.device("car2", "medpc")
    supervisor = world.device("desk1", "sup")
    # Written on the device as if its checks had let it through (an older app, a bug): a
    # change to an officer's record (admins' work) and a new Thanet case with an incident.
    with medway.store.engine.begin() as c:
        c.exec_driver_sql("UPDATE officer SET name = 'Renamed' WHERE collar = 'PC 1'")
    medway.sign_in()
    with monkeypatch.context() as patch:
        patch.setattr("asbtui.services.cases.require_district", lambda *a, **k: None)
        new_ref = cases.create_case(medway.store, cases.NewCase(
            district="THA", category="nuisance", summary="Written where it may not be"))
        cases.add_incident(medway.store, new_ref, cases.NewIncident(
            occurred_at=datetime.now(UTC) - timedelta(hours=1), channel="101",
            incident_type="noise", description="Bass"))
    report = medway.sync()
    outcomes = {(r["table"], r["outcome"]) for r in report.refused}
    assert {("officer", "put back"), ("case", "removed"), ("incident", "removed")} <= outcomes
    with medway.store.engine.connect() as c:  # the central row came back
        assert c.exec_driver_sql("SELECT name FROM officer WHERE collar = 'PC 1'").scalar() \
            == "Officer 1"
    assert new_ref not in _refs(medway)  # the row the server never had is gone
    assert engine.status(medway.store).pending == 0  # nothing retried for ever
    medway.sync_until_quiet()
    assert_device_matches_server(world, medway, ("MED",))
    with medway.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM incident WHERE case_ref = ?",
                                 (new_ref,)).scalar() == 0
    # Kept centrally: the district's supervisor sees them, the device sees its own.
    runner = CliRunner()
    env = {"ASBTUI_PIN": PIN}
    shown = runner.invoke(app, ["--db", str(supervisor.store.path), "--user", "sup", "sync",
                                "refusals", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    rows = json.loads(shown.output)
    assert {(r["table"], r["outcome"]) for r in rows} == {("case", "removed"),
                                                          ("incident", "removed")}
    assert all(r["district"] == "THA" for r in rows)
    told = runner.invoke(app, ["--db", str(medway.store.path), "--user", "medpc", "sync",
                               "refusals"], env=env)
    assert told.exit_code == 0 and new_ref in told.output and "removed" in told.output


def test_a_refusal_whose_answer_was_lost_is_told_again_at_the_next_sync(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    medway = world.device("car2", "medpc")
    medway.sign_in()
    with monkeypatch.context() as patch:
        patch.setattr("asbtui.services.cases.require_district", lambda *a, **k: None)
        new_ref = cases.create_case(medway.store, cases.NewCase(
            district="THA", category="nuisance", summary="Written where it may not be"))
    with pytest.raises(Cut):  # the server refused it, and the answer never came
        engine.sync(medway.store, CuttingTransport(medway.transport(), "/v1/push",
                                                   after=True))
    assert new_ref in _refs(medway)
    report = medway.sync()  # the push is repeated: skipped, and its refusal told again
    assert report.skipped >= 1
    assert ("case", "removed") in {(r["table"], r["outcome"]) for r in report.refused}
    assert new_ref not in _refs(medway)
    medway.sync_until_quiet()
    assert_device_matches_server(world, medway, ("MED",))
    _assert_exactly_once(world, medway)


def test_a_supervisor_settles_a_conflict_from_the_command_line(world: World) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app
    from asbtui.services import audit

    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(officer)[3]
    cases.set_risk(officer.store, ref, "medium")
    cases.set_risk(supervisor.store, ref, "high")
    officer.sync()
    supervisor.sync()
    path = str(supervisor.store.path)
    runner = CliRunner()
    env = {"ASBTUI_PIN": PIN}
    listed = runner.invoke(app, ["--db", path, "--user", "sup", "conflicts", "list", "--json"],
                           env=env)
    assert listed.exit_code == 0, listed.stderr
    risk = [c for c in json.loads(listed.stdout) if c["field"] == "risk"][0]
    assert (risk["ref"], risk["server_value"], risk["device_value"]) == (ref, "medium", "high")
    shown = runner.invoke(app, ["--db", path, "--user", "sup", "conflicts", "show",
                                str(risk["id"])], env=env)
    assert "central: medium by pc" in shown.stdout and "device:  high by sup" in shown.stdout
    settled = runner.invoke(app, ["--db", path, "--user", "sup", "conflicts", "resolve",
                                  str(risk["id"]), "--keep", "device"], env=env)
    assert settled.exit_code == 0, settled.stderr
    both = runner.invoke(app, ["--db", path, "--user", "sup", "conflicts", "resolve",
                               str(risk["id"]), "--keep", "device", "--value", "x"], env=env)
    assert both.exit_code == 1
    officer.sync()
    assert _case_field(officer, ref, "risk") == "high"
    supervisor.sign_in()
    events = audit.case_audit(supervisor.store, ref)
    assert any(e.detail == f"conflict {risk['id']} settled: risk" for e in events)


async def test_the_sync_key_syncs_in_a_worker_and_the_header_tells_when_and_what_waits(
        world: World) -> None:
    from asbtui.app import AsbApp

    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(officer)[4]
    cases.set_risk(officer.store, ref, "high")
    cases.assign_owner(supervisor.store, _refs(supervisor)[2], "PC 1")
    supervisor.sync()
    waiting = engine.status(officer.store).pending  # the risk and its history (corrections)
    assert waiting >= 1
    app = AsbApp(officer.store)
    messages: list[Any] = []
    async with app.run_test(size=(120, 30), message_hook=messages.append) as pilot:
        await pilot.pause()
        assert f"{waiting} waiting" in app.sub_title and "synced" in app.sub_title
        await pilot.press("ctrl+y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "0 waiting" in app.sub_title
        told = [m.notification.message for m in messages if hasattr(m, "notification")]
        assert any(text.startswith(f"Pushed {waiting}, pulled") for text in told), told
    assert engine.status(officer.store).pending == 0


def test_the_bulk_load_gives_the_same_records_and_scopes_as_loading_row_by_row(
        seed_rows) -> None:  # noqa: ANN001
    import psycopg
    from sync_world import fresh_database

    from asbtui.server.bulk import bulk_load
    from asbtui.server.schema import migrate

    found = []
    for load in (central.load_rows, bulk_load):
        with fresh_database() as url:
            migrate(url)
            with psycopg.connect(url, autocommit=True) as conn:
                load(conn, seed_rows)
                records = {(t, k): (d, dist, c) for t, k, d, dist, c in conn.execute(
                    "SELECT tbl, key, data, district, case_id FROM record")}
                scopes = sorted(conn.execute(
                    "SELECT scope, tbl, key, op FROM change").fetchall())
                heads = dict(conn.execute("SELECT scope, version FROM scope_counter"))
        found.append((records, scopes, heads))
    assert found[0] == found[1]


class CutStream:
    """The real transport, whose first stream is cut after ``limit`` bytes."""

    def __init__(self, inner: HttpTransport, limit: int) -> None:
        self.inner, self.limit, self.done = inner, limit, False

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.inner.post(path, body)

    def stream(self, path: str, body: dict[str, Any]) -> Any:
        headers, blocks = self.inner.stream(path, body)
        if self.done:
            return headers, blocks
        self.done = True

        def cut() -> Any:
            sent = 0
            for block in blocks:
                if sent + len(block) > self.limit:
                    yield block[:self.limit - sent]
                    raise Cut("stream cut")
                sent += len(block)
                yield block

        return headers, cut()



def _car9(world: World, store: Store) -> Device:
    """A new device, car9, enrolled with the world's service for the supervisor."""
    with world.connect() as conn:
        code = central.enrol_device(conn, "car9")
    engine.enrol(store, world.address, code, HttpTransport(world.address))
    url, key = engine.credentials(store)
    return Device("car9", store, "sup", url, key)

def test_a_first_sync_streams_with_copy_and_resumes_after_a_cut(world: World,
                                                                monkeypatch) -> None:  # noqa: ANN001
    reference = world.device("desk1", "sup")
    monkeypatch.setattr(engine, "FIRST_SYNC_CHUNK", 7)
    store = new_store(world.folder / "car9.db")
    device = _car9(world, store)
    seen: list[tuple[str, int, int]] = []
    for cut_after in (0, 700, 2500):
        with pytest.raises((Cut, SyncError)):
            engine.sync(store, CutStream(device.transport(), cut_after), stream_after=0,
                        progress=lambda *a: seen.append(a))
        _assert_cursors_not_ahead(world, device)
    chunks = {"n": 0}

    def cut_second_chunk(step: str) -> None:
        if step == "first sync chunk applied":
            chunks["n"] += 1
            if chunks["n"] == 2:
                raise Cut("client died inside the second chunk's transaction")

    before = engine.cursors(store)
    with pytest.raises(Cut):
        engine.sync(store, device.transport(), stream_after=0, checkpoint=cut_second_chunk)
    moved = engine.cursors(store)
    assert any(moved.get(s, 0) > before.get(s, 0) for s in moved)  # the first chunk stood
    _assert_cursors_not_ahead(world, device)
    report = engine.sync(store, device.transport(), stream_after=0,
                         progress=lambda *a: seen.append(a))
    assert report.pulled > 0 and seen
    device.sign_in()
    device.sync_until_quiet()
    reference.sync()
    assert_same_rows(device.store, reference.store)
    with device.store.engine.connect() as c:
        indexed = c.exec_driver_sql("SELECT count(*) FROM case_search").scalar()
    assert indexed == len(_refs(device))  # the search index rebuilt after the stream


def _indexes(store: Any) -> set[str]:
    with store.engine.connect() as c:
        return set(c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                     "AND sql IS NOT NULL").scalars())


def test_a_first_sync_cut_while_making_its_indexes_leaves_a_store_made_whole_on_open(
        world: World) -> None:
    reference = world.device("desk1", "sup")
    with open_store(world.folder / "fresh.db", create=True) as fresh:
        wanted = _indexes(fresh)
    path = world.folder / "car9.db"
    store = new_store(path)
    device = _car9(world, store)
    dropped: list[set[str]] = []

    def cut_in_rebuild(step: str) -> None:
        if step == "first sync chunk applied" and not dropped:
            dropped.append(_indexes(store))
        if step == "indexes rebuilt":
            raise Cut("client died while making the indexes again")

    with pytest.raises(Cut):
        engine.sync(store, device.transport(), stream_after=0, checkpoint=cut_in_rebuild)
    assert dropped and dropped[0] < wanted  # the load ran without the secondary indexes
    # The rebuild was cut: still without them (bar the two the search index's fill reads,
    # made first in a transaction of their own)...
    assert _indexes(store) == dropped[0] | set(search.FILL_READS)
    assert not engine._side_path(store).exists()  # the side file is gone
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT value FROM sync_state WHERE key = 'search_stale'"
                                 ).scalar() == "1"
    assert len(_refs(device)) > 0  # ...and usable
    store.close()
    device.store = open_store(path)  # opening the store makes them
    assert _indexes(device.store) == wanted
    device.sign_in()
    device.sync_until_quiet()
    reference.sync()
    assert_same_rows(device.store, reference.store)
    with device.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM case_search").scalar() == \
            len(_refs(device))


def test_the_audit_chain_is_pushed_and_a_log_rewritten_in_full_is_caught_centrally(
        world: World) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app
    from asbtui.services import audit

    supervisor = world.device("desk1", "sup")
    ref = _refs(supervisor)[0]
    cases.set_risk(supervisor.store, ref, "high")
    supervisor.sync()
    with supervisor.store.engine.connect() as c:
        local = c.exec_driver_sql("SELECT count(*) FROM audit_event").scalar()
    assert world.scalar("SELECT count(*) FROM audit_log") == local > 0
    supervisor.sync()  # again: nothing new, nothing refused
    runner = CliRunner()
    path = str(supervisor.store.path)
    env = {"ASBTUI_PIN": PIN}
    ok = runner.invoke(app, ["--db", path, "--user", "sup", "audit", "verify", "--central"],
                       env=env)
    assert ok.exit_code == 0, ok.stderr
    assert "Matches the central store" in ok.stdout

    # Rewrite the whole log from row 2 on, every hash recomputed: it verifies on its own...
    raw = sqlite3.connect(path)
    guards = [r[0] for r in raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                        "AND name LIKE 'audit_event_no_%'")]
    for verb in ("update", "delete"):
        raw.execute(f"DROP TRIGGER IF EXISTS audit_event_no_{verb}")
    raw.execute("UPDATE audit_event SET detail = 'nothing happened' WHERE seq = 2")
    columns = [r[1] for r in raw.execute("PRAGMA table_info(audit_event)")]
    prev = raw.execute("SELECT hash FROM audit_event WHERE seq = 1").fetchone()[0]
    for values in raw.execute("SELECT * FROM audit_event WHERE seq >= 2 ORDER BY seq").fetchall():
        row = dict(zip(columns, values, strict=True))
        row["prev_hash"] = prev
        row["hash"] = audit._row_hash(row)
        raw.execute("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?",
                    (row["prev_hash"], row["hash"], row["seq"]))
        prev = row["hash"]
    raw.execute("UPDATE store_meta SET value = ? WHERE key = 'audit_head'",
                (f"{row['seq']}:{prev}",))
    for guard in guards:  # put back, as a careful forger would: the log checks them
        raw.execute(guard)
    raw.commit()
    raw.close()
    supervisor.sign_in()
    assert audit.verify(supervisor.store).intact
    # ...but not against the central copy, and the next sync refuses to push over it.
    caught = runner.invoke(app, ["--db", path, "--user", "sup", "audit", "verify",
                                 "--central"], env=env)
    assert caught.exit_code == 1 and "row 2 differs" in caught.stderr
    with pytest.raises(SyncError, match="does not follow on"):
        supervisor.sync()


async def test_a_supervisor_settles_a_conflict_on_the_conflicts_screen(world: World) -> None:
    from textual.widgets import DataTable

    from asbtui.app import AsbApp

    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(officer)[2]
    cases.set_risk(officer.store, ref, "medium")
    cases.set_risk(supervisor.store, ref, "high")
    officer.sync()
    supervisor.sync()
    app = AsbApp(supervisor.store)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        await pilot.press("f11")
        for _ in range(400):
            await pilot.pause(0.05)
            table = app.screen.query_one("#records", DataTable)
            if table.row_count and str(table.get_row_at(0)[0]) != "no open conflicts":
                break
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        risk = [r for r in rows if r[2] == "risk"]
        assert risk and risk[0][1] == ref and risk[0][3] == "medium" and risk[0][5] == "high"
        table.move_cursor(row=rows.index(risk[0]))
        await pilot.press("d")

        def fields_left() -> list[str]:
            return [str(table.get_row_at(i)[2]) for i in range(table.row_count)]

        # Settling runs in a worker, then the list reloads in another: wait for both.
        for _ in range(400):
            await pilot.pause(0.05)
            if "risk" not in fields_left():
                break
        assert "risk" not in fields_left()
    officer.sync()
    assert _case_field(officer, ref, "risk") == "high"


def test_the_server_loads_neither_the_device_store_nor_the_tui() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import asbtui.server.app, asbtui.server.central, asbtui.server.schema\n"
        "bad = sorted(m for m in sys.modules if m in ('asbtui.db', 'sqlite3', 'textual')\n"
        "             or m.startswith(('asbtui.services', 'asbtui.sync', 'textual.')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


def test_migrating_the_central_store_again_or_twice_at_once_is_harmless() -> None:
    import threading

    from sync_world import fresh_database

    from asbtui.server.schema import migrate

    with fresh_database() as url:
        results: list[tuple] = []
        threads = [threading.Thread(target=lambda: results.append(migrate(url)))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(results, key=str) == [("c002", "c002"), (None, "c002")]
        assert migrate(url) == ("c002", "c002")


def test_two_processes_syncing_one_store_at_once_end_equal(world: World) -> None:
    import threading

    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    _work(supervisor, random.Random(8), 25)
    _work(officer, random.Random(9), 10)
    supervisor.sync()
    other = open_store(officer.store.path)
    errors: list[BaseException] = []

    def run(store: Any) -> None:
        try:
            engine.sync(store, officer.transport(), page=4)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(s,)) for s in (officer.store, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    other.close()
    assert errors == []
    officer.sync_until_quiet()
    supervisor.sync_until_quiet()
    assert_same_rows(officer.store, supervisor.store)
    _assert_exactly_once(world, officer)


def test_an_older_page_is_never_applied_over_a_newer_cursor(world: World) -> None:
    officer = world.device("car1", "pc")
    supervisor = world.device("desk1", "sup")
    ref = _refs(supervisor)[0]
    cases.set_risk(supervisor.store, ref, "high")
    supervisor.sync()
    scope = "district:THA"
    after = engine.cursors(officer.store)[scope]
    transport = officer.transport()
    stale = transport.post("/v1/pull", {"scope": scope, "after": after, "limit": 100})
    transport.close()
    officer.sync()  # another process got there first
    with pytest.raises(engine._CursorMoved):
        engine.apply_page(officer.store, scope, stale["changes"],
                          int(stale["changes"][-1]["version"]), after=after)


def test_a_partner_device_gets_the_notes_its_agency_may_read_and_no_others(
        world: World) -> None:
    supervisor = world.device("desk1", "sup")
    partner = world.device("council1", "tdc")
    ref = _refs(partner)[0]
    partners.add_note(supervisor.store, ref, "For the police only")
    partners.add_note(supervisor.store, ref, "For the council", visibility="named",
                      audience=[AGENCY], reason="Joint problem solving")
    partners.add_note(supervisor.store, ref, "For all partners", visibility="all_partners",
                      reason="Joint problem solving")
    supervisor.sync()
    partner.sync()
    with partner.store.engine.connect() as c:
        texts = set(c.exec_driver_sql("SELECT text FROM partnernote").scalars())
    assert {"For the council", "For all partners"} <= texts
    assert "For the police only" not in texts


def test_a_note_naming_other_agencies_is_not_for_this_one() -> None:
    from asbtui.server.scopes import partner_may_read

    note = {"id": "n1", "visibility": "named", "agency_id": None}
    assert partner_may_read("partnernote", note, "a1", {"a1"})
    assert not partner_may_read("partnernote", note, "a2", {"a1"})
    assert not partner_may_read("partnernote", {**note, "visibility": "police"}, "a1")
    assert partner_may_read("partnernote", {**note, "visibility": "police", "agency_id": "a1"},
                            "a1")  # its own agency's note
    assert not partner_may_read("noteaudience", {"agency_id": "a1"}, "a2")


def test_sync_on_a_store_that_is_not_enrolled_says_how_to_enrol(store_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from asbtui.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["--db", str(store_path), "--user", "pc", "sync"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "asbtui: This device is not enrolled: ask an admin for a code, then run asbtui sync "
        "enrol URL CODE."]
    status = runner.invoke(app, ["--db", str(store_path), "sync", "status", "--json"])
    assert json.loads(status.stdout) == {"enrolled": False, "url": None, "device": None,
                                         "last_sync": None, "pending": 0}
    bad = runner.invoke(app, ["--db", str(store_path), "sync", "enrol", "ftp://x", "CODE"])
    assert bad.exit_code == 1 and "not a web address" in bad.stderr


def _disclosed_people(world: World) -> set[str]:
    """The people the central store's live shares disclose to the council (by the rule
    the device's access checks follow)."""
    from asbtui.disclosure import discloses

    with world.connect() as conn:
        agency = conn.execute("SELECT key FROM record WHERE tbl = 'agency' "
                              "AND data->>'name' = %s", (AGENCY,)).fetchone()[0]
        shares = dict(conn.execute(
            "SELECT case_id, coalesce(data->>'people', '') FROM record WHERE tbl = 'caseshare' "
            "AND data->>'agency_id' = %s AND data->'revoked_at' = 'null'::jsonb "
            "AND NOT (data->>'deleted')::int::bool", (agency,)).fetchall())
        parties = conn.execute("SELECT key, case_id, data FROM record "
                               "WHERE tbl = 'party'").fetchall()
    return {key for key, case_id, data in parties if not data.get("deleted") and discloses(
        shares.get(case_id), key, data.get("role"), bool(data.get("withheld")))}


def _people(device: Device) -> set[str]:
    with device.store.engine.connect() as c:
        return set(c.exec_driver_sql("SELECT id FROM party").scalars())


def _withhold(device: Device, party_id: str, withheld: bool = True) -> None:
    with device.store.engine.begin() as c:  # recorded by the outbox trigger
        c.exec_driver_sql("UPDATE party SET withheld = ? WHERE id = ?", (withheld, party_id))


def test_a_partner_device_holds_the_people_its_share_discloses_and_no_others(
        world: World) -> None:
    supervisor = world.device("desk1", "sup")
    partner = world.device("council1", "tdc")
    shared = _refs(partner)[0]  # shared without a choice: its victims

    def person(ref: str, name: str, role: str, withheld: bool = False) -> str:
        cases.add_party(supervisor.store, ref, cases.PersonInput(name=name, role=role,
                                                                  withheld=withheld))
        with supervisor.store.engine.connect() as c:
            return c.exec_driver_sql("SELECT id FROM party WHERE name = ?", (name,)).scalar()

    victim = person(shared, "Ann Victim", "victim")
    perpetrator = person(shared, "Bob Perp", "perpetrator")
    person(shared, "Cat Withheld", "victim", withheld=True)
    newly = [r for r in _refs(supervisor) if r != shared][0]
    chosen = person(newly, "Dan Chosen", "perpetrator")
    person(newly, "Eve Victim", "victim")
    partners.share_case(supervisor.store, newly, AGENCY, "Joint visit", people=[chosen])
    supervisor.sync()
    partner.sync()
    assert _people(partner) == {victim, chosen} == _disclosed_people(world)
    assert perpetrator not in _people(partner)
    # Withheld after it went: off the partner's device at its next sync.
    _withhold(supervisor, victim)
    supervisor.sync()
    partner.sync()
    assert _people(partner) == {chosen} == _disclosed_people(world)
    _withhold(supervisor, victim, False)  # and back again
    supervisor.sync()
    partner.sync()
    assert _people(partner) == {victim, chosen}
    # The share stopped: the case and its people leave.
    partners.revoke_share(supervisor.store, newly, AGENCY)
    supervisor.sync()
    partner.sync()
    assert _people(partner) == {victim} == _disclosed_people(world)
    assert_device_matches_server(world, partner, None)
    # A new device of the partner's, first-synced by stream, holds the same people.
    second = world.device("council2", "tdc")
    assert _people(second) == {victim}


def test_sync_enrol_makes_a_plain_store_only_when_asked(world: World, tmp_path) -> None:
    from typer.testing import CliRunner

    from asbtui.cli import app

    runner = CliRunner()
    env = {"ASBTUI_CENTRAL_URL": world.url}
    code = runner.invoke(app, ["server", "enrol-device", "Desk 3"], env=env
                         ).stdout.strip().splitlines()[-1].split()[-1]
    db = tmp_path / "desk3.db"
    # no key given and no terminal to type one: refused in one line, nothing made
    refused = runner.invoke(app, ["--db", str(db), "sync", "enrol", world.address, code])
    assert refused.exit_code == 1 and "ASBTUI_KEY" in refused.stderr
    assert not db.exists()
    plain = runner.invoke(app, ["--db", str(db), "sync", "enrol", "--plain", world.address,
                                code])
    assert plain.exit_code == 0, plain.stderr
    assert db.read_bytes().startswith(b"SQLite format 3")


def test_a_first_syncs_checkpoints_go_on_after_one_fails(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """The chunks turn SQLite's own checkpoint off; if the thread that copies the WAL into
    the store stopped at its first failure (a locked store, say), the WAL would grow with
    the whole load."""
    import time

    import sqlalchemy as sa

    store = new_store(tmp_path / "s.db")
    tries = {"n": 0}
    real = store.engine.connect

    def connect() -> Any:
        tries["n"] += 1
        if tries["n"] == 1:
            raise sa.exc.OperationalError("PRAGMA wal_checkpoint", {}, Exception("locked"))
        return real()

    monkeypatch.setattr(store.engine, "connect", connect)
    try:
        with engine._checkpointing(store):
            deadline = time.monotonic() + 20
            while tries["n"] < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        store.close()
    assert tries["n"] >= 3


def test_the_stream_in_copy_text_format_splits_lines_and_unescapes_only_what_copy_escaped(
        ) -> None:
    import threading

    lines = ('1\tcase\tk1\tupsert\t'
             '{"summary": "a \\\\"quoted\\\\" \\\\\\\\ and \\\\t tab, café"}\t3\n'
             '2\tcase\tk2\tremove\t\\N\t4\n').encode()
    cut = lines.index("é".encode()) + 1  # a character split between two blocks
    chunks = list(engine._text_chunks(iter([lines[:cut], lines[cut:]]), threading.Event()))
    assert chunks == [[
        ["1", "case", "k1", "upsert", '{"summary": "a \\"quoted\\" \\\\ and \\t tab, café"}', "3"],
        ["2", "case", "k2", "remove", None, "4"]]]
    assert json.loads(chunks[0][0][4])["summary"] == 'a "quoted" \\ and \t tab, café'
    with pytest.raises(SyncError):  # a last line without its end: the stream was cut
        list(engine._text_chunks(iter([lines[:-3]]), threading.Event()))


def test_the_stream_in_columns_is_cut_into_records_as_line_by_line_whatever_the_blocks(
        ) -> None:
    """The reader splits a block of whole lines at once and slices it into records: the
    same records, of the same kinds (a tuple for a line it unescaped), as splitting each
    line, for nulls, escapes next to them, characters split between blocks; a last line
    without its end is a cut stream."""
    import threading

    values = ["a", "\\\\N", "\\N", "x\\ty", "\\\\", "b\\nc", "", "café", "\\\\\\\\N", "e\\\\"]
    rng = random.Random(15)
    data = "".join("\t".join([str(i), "case", f"k{i}", "upsert", "3", ""]
                             + [rng.choice(values) for _ in range(5)]) + "\n"
                   for i in range(700)).encode()
    for size in (1, 7, 100, len(data)):
        blocks = [data[i:i + size] for i in range(0, len(data), size)]
        by_line = list(engine._text_chunks(iter(blocks), threading.Event(), columns=True))
        at_once = list(engine._columns_chunks(iter(blocks), threading.Event()))
        assert at_once == by_line
        assert [type(r) for c in at_once for r in c] == [type(r) for c in by_line for r in c]
    kinds = {type(r) for c in at_once for r in c}
    assert kinds == {list, tuple}  # both kinds were made
    with pytest.raises(SyncError):
        list(engine._columns_chunks(iter([data[:-3]]), threading.Event()))
    # Two lines of other widths that add up to the rest's (a service that did not pad):
    # split line by line, not sliced into rows that straddle them.
    odd = data.split(b"\n")
    odd[3] += b"\textra"
    odd[5] = odd[5].rsplit(b"\t", 1)[0]
    uneven = b"\n".join(odd)
    by_line = list(engine._text_chunks(iter([uneven]), threading.Event(), columns=True))
    at_once = list(engine._columns_chunks(iter([uneven]), threading.Event()))
    assert at_once == by_line and len(at_once[0][3]) == 12 and len(at_once[0][5]) == 10


class StreamAs:
    """The real transport, as a device that asks for a stream without some of today's
    request fields: without ``format`` an older device (CSV), without ``columns`` one
    that asks for COPY's text format with each row as JSON; the service must answer in
    ``expected``."""

    def __init__(self, inner: HttpTransport, dropped: tuple[str, ...], expected: str) -> None:
        self.inner, self.dropped, self.expected = inner, dropped, expected

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.inner.post(path, body)

    def stream(self, path: str, body: dict[str, Any]) -> Any:
        headers, blocks = self.inner.stream(path, {k: v for k, v in body.items()
                                                   if k not in self.dropped})
        assert headers.get("x-asbtui-format") == self.expected
        return headers, blocks


def OlderDevice(inner: HttpTransport) -> StreamAs:  # noqa: N802 - a kind of device
    return StreamAs(inner, ("format",), "csv")


def TextDevice(inner: HttpTransport) -> StreamAs:  # noqa: N802
    return StreamAs(inner, ("columns",), "text")


def ColumnsDevice(inner: HttpTransport) -> StreamAs:  # noqa: N802
    return StreamAs(inner, (), "columns")


def _typed_rows(store: Any) -> dict[str, Any]:
    """Every synced table's rows, each value with its SQLite type (``quote``: a float
    to the last bit, 1 apart from 1.0 and '1'), and sync_row."""
    tables = engine._tables()
    held: dict[str, Any] = {}
    with store.engine.connect() as c:
        for table, names in tables.columns.items():
            held[table] = c.exec_driver_sql(
                "SELECT " + ", ".join(f"quote({engine._quote(n)})" for n in names)
                + f" FROM {engine._quote(table)} ORDER BY id").all()
        held["sync_row"] = c.exec_driver_sql("SELECT * FROM sync_row ORDER BY tbl, key").all()
    return held


def test_a_first_sync_in_columns_text_format_or_csv_gives_the_same_rows_and_search_index(
        world: World) -> None:
    reference = world.device("desk1", "sup")
    awkward = 'Shouting\t"at night"\nback\\slash, café'
    ref = _refs(reference, "THA")[0]
    with reference.store.engine.begin() as c:  # recorded, pushed
        c.exec_driver_sql('UPDATE "case" SET summary = ? WHERE ref = ?', (awkward, ref))
    reference.sync_until_quiet()
    with reference.store.engine.connect() as c:  # three cases the supervisor holds
        keys = list(c.exec_driver_sql('SELECT id FROM "case" WHERE ref <> ? ORDER BY id '
                                      'LIMIT 3', (ref,)).scalars())
    with world.connect() as conn:  # what a stream must carry exactly, put in the log
        # a row from an older device, without two fields (one with a default)
        conn.execute("UPDATE change SET data = data - 'closing_summary' - 'victim_asked' "
                     "WHERE tbl = 'case' AND key = %s", (keys[0],))
        # floats SQLite's own text conversion misses by a unit in the last place, an
        # integer for a float, a boolean, a null, and text that is a number
        conn.execute("UPDATE change SET data = data || %s::jsonb WHERE tbl = 'case' AND "
                     "key = %s", (json.dumps({
                         "latitude": -45.99750982350049, "longitude": 1,
                         "hate_motivated": True, "victim_asked": None,
                         "postcode": "12345", "next_review": None}), keys[1]))
        # text holding COPY's null marker and escapes
        conn.execute("UPDATE change SET data = data || %s::jsonb WHERE tbl = 'case' AND "
                     "key = %s", (json.dumps({"location": "\\N", "summary": "C:\\New\\N\t"}),
                                  keys[2]))
    made: list[Device] = []
    for name, wrap in (("car1", ColumnsDevice), ("car2", OlderDevice), ("car3", TextDevice)):
        with world.connect() as conn:
            code = central.enrol_device(conn, name)
        store = new_store(world.folder / f"{name}.db")
        engine.enrol(store, world.address, code, HttpTransport(world.address))
        url, key = engine.credentials(store)
        device = Device(name, store, "sup", url, key)
        engine.sync(store, wrap(device.transport()), stream_after=0)
        made.append(device)
    typed = [_typed_rows(device.store) for device in made]
    for table in typed[0]:
        for one, two, three in zip(typed[0][table], typed[1][table], typed[2][table],
                                   strict=True):
            assert one == two == three, (table, [
                (a, b, c) for a, b, c in zip(one, two, three, strict=True) if not a == b == c])
    names = engine._tables().columns["case"]
    at = {n: names.index(n) for n in names}
    case = {r[at["id"]]: r for r in typed[0]["case"]}
    # to the last bit (CAST('-45.99750982350049' AS REAL) in SQLite 3.40 is one unit off)
    assert float(case[f"'{keys[1]}'"][at["latitude"]]) == -45.99750982350049
    assert case[f"'{keys[1]}'"][at["longitude"]] == "1.0"
    assert case[f"'{keys[1]}'"][at["hate_motivated"]] == "1"
    assert case[f"'{keys[1]}'"][at["postcode"]] == "'12345'"
    assert case[f"'{keys[1]}'"][at["victim_asked"]] == "NULL"
    assert case[f"'{keys[0]}'"][at["closing_summary"]] == "''"  # the default
    assert case[f"'{keys[2]}'"][at["location"]] == "'\\N'"
    for device in made:
        with device.store.engine.connect() as c:
            assert c.exec_driver_sql('SELECT summary FROM "case" WHERE ref = ?',
                                     (ref,)).scalar() == awkward
            assert c.exec_driver_sql('SELECT summary FROM "case" WHERE id = ?',
                                     (keys[2],)).scalar() == "C:\\New\\N\t"
    filled = []
    for device in made:
        with device.store.engine.connect() as c:
            filled.append(c.exec_driver_sql(
                "SELECT rowid, * FROM case_search ORDER BY rowid").all())
    assert filled[0] == filled[1] == filled[2] and len(filled[0]) == len(_refs(reference))
    with made[0].store.engine.begin() as c:  # as a fill after any bulk load makes it
        search.rebuild_index(c)
        assert c.exec_driver_sql(
            "SELECT rowid, * FROM case_search ORDER BY rowid").all() == filled[0]


def test_triggers_set_aside_in_a_transaction_come_back_with_it_or_with_its_rollback(
        tmp_path: Path) -> None:
    from asbtui.db import triggers_set_aside

    path = tmp_path / "t.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path)
    other.executescript("CREATE TABLE t (x); CREATE TABLE log (x); CREATE TRIGGER tr AFTER "
                        "INSERT ON t BEGIN INSERT INTO log VALUES (NEW.x); END;")
    triggers = "SELECT sql FROM sqlite_master WHERE type = 'trigger'"
    made = other.execute(triggers).fetchall()
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO t VALUES (1)")  # the write that opens the transaction
        with triggers_set_aside(c, ["tr", "no_such_trigger"]):
            c.exec_driver_sql("INSERT INTO t VALUES (2)")
            assert other.execute(triggers).fetchall() == made  # gone only in here
    with pytest.raises(RuntimeError), engine.begin() as c:
        c.exec_driver_sql("INSERT INTO t VALUES (3)")
        with triggers_set_aside(c, ["tr"]):
            c.exec_driver_sql("INSERT INTO t VALUES (4)")
            raise RuntimeError("cut")
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO t VALUES (5)")
        logged = [x for (x,) in c.exec_driver_sql("SELECT x FROM log ORDER BY x")]
    assert logged == [1, 5] and other.execute(triggers).fetchall() == made
    other.close()
    engine.dispose()


def test_a_first_sync_chunk_keeps_each_rows_highest_revision_whatever_order_it_comes_in(
        tmp_path: Path) -> None:
    # The reader hands the writer each run's sync_row entries sorted by key (the B-tree
    # is then walked in order): safe only because the upsert keeps the highest revision.
    def audience(key: str, note: str) -> str:
        return json.dumps({"updated_at": "2026-12-07T10:00:00", "origin": "central",
                           "deleted": False, "id": key, "note_id": note, "agency_id": "a1"})

    keys = ["k3", "k1", "k2"]
    records = [[str(version), "noteaudience", key, "upsert", audience(key, f"n{version}"),
                str(rev)]
               for version, (key, rev) in enumerate(
                   [("k3", 7), ("k1", 9), ("k1", 4), ("k2", 5), ("k3", 2)], start=1)]
    chunk = engine._decode(records)
    (_op, _table, rows, entries), = chunk.runs
    assert [(key, rev) for _t, key, rev in entries] == [
        ("k1", 9), ("k1", 4), ("k2", 5), ("k3", 7), ("k3", 2)]  # by key, then stream order
    assert [row[3] for row in rows] == ["k3", "k1", "k1", "k2", "k3"]  # rows keep stream order

    store = new_store(tmp_path / "s.db")
    try:
        engine._apply_chunk(store, "district:THA", chunk, engine._no_checkpoint, 0)
        with store.engine.connect() as connection:
            held = dict(connection.exec_driver_sql(
                "SELECT key, rev FROM sync_row WHERE tbl = 'noteaudience'").all())
            notes = dict(connection.exec_driver_sql(
                "SELECT id, note_id FROM noteaudience").all())
    finally:
        store.close()
    assert held == {"k1": 9, "k2": 5, "k3": 7}
    assert notes == {"k1": "n3", "k2": "n4", "k3": "n5"}  # the last version of each row
    assert sorted(held) == sorted(keys)


def test_a_first_sync_into_an_encrypted_store_fills_its_search_index_beside_encrypted(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    """The search index is filled in a side file while the other indexes are made; that
    file holds names, so it must be encrypted like the store, and gone at the end."""
    from asbtui.encryption import StoreKey

    reference = world.device("desk1", "sup")
    path = world.folder / "car9.db"
    store = open_store(path, create=True, key=StoreKey("correct horse battery"))
    device = _car9(world, store)
    seen: list[bytes] = []
    take = search.take_beside

    def look_then_take(connection: Any) -> None:
        seen.append(engine._side_path(store).read_bytes())
        take(connection)

    monkeypatch.setattr(search, "take_beside", look_then_take)
    engine.sync(store, device.transport(), stream_after=0)
    assert len(seen) == 1 and len(seen[0]) > 0
    assert not seen[0].startswith(b"SQLite format 3")
    assert b"Thanet" not in seen[0] and b"THA" not in seen[0]
    assert not engine._side_path(store).exists()
    device.sign_in()
    device.sync_until_quiet()
    reference.sync()
    assert_same_rows(device.store, reference.store)
    with device.store.engine.connect() as c:
        filled = c.exec_driver_sql("SELECT rowid, * FROM case_search ORDER BY rowid").all()
        assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        c.exec_driver_sql("INSERT INTO case_search(case_search) VALUES ('integrity-check')")
    assert len(filled) == len(_refs(device))
    with device.store.engine.begin() as c:  # as a fill in place makes it
        search.rebuild_index(c)
        assert c.exec_driver_sql(
            "SELECT rowid, * FROM case_search ORDER BY rowid").all() == filled


def test_a_first_sync_whose_search_fill_beside_fails_leaves_it_to_the_next_sync(
        world: World, monkeypatch) -> None:  # noqa: ANN001
    """The fill beside fails (a full disk, say): the writer's indexes roll back with it,
    the side file goes, and the next sync makes both; nothing else is lost."""
    reference = world.device("desk1", "sup")
    with open_store(world.folder / "fresh.db", create=True) as fresh:
        wanted = _indexes(fresh)
    path = world.folder / "car9.db"
    store = new_store(path)
    device = _car9(world, store)

    def fails(_connection: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(search, "fill_beside", fails)
    with pytest.raises(sqlite3.OperationalError):
        engine.sync(store, device.transport(), stream_after=0)
    assert not engine._side_path(store).exists()
    assert _indexes(store) < wanted
    with store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT value FROM sync_state WHERE key = 'search_stale'"
                                 ).scalar() == "1"
    monkeypatch.undo()
    engine.sync(store, device.transport(), stream_after=0)
    assert _indexes(store) == wanted
    device.sign_in()
    device.sync_until_quiet()
    reference.sync()
    assert_same_rows(device.store, reference.store)
    with device.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM case_search").scalar() == \
            len(_refs(device))
        assert c.exec_driver_sql("SELECT value FROM sync_state WHERE key = 'search_stale'"
                                 ).scalar() == "0"


def test_a_first_sync_with_nowhere_to_fill_beside_fills_in_place(world: World,
                                                                 monkeypatch) -> None:  # noqa: ANN001
    reference = world.device("desk1", "sup")
    with open_store(world.folder / "fresh.db", create=True) as fresh:
        wanted = _indexes(fresh)
    store = new_store(world.folder / "car9.db")
    device = _car9(world, store)
    monkeypatch.setattr(engine, "_side_path",
                        lambda _store: world.folder / "no such folder" / "car9.db-search")
    engine.sync(store, device.transport(), stream_after=0)
    assert _indexes(store) == wanted
    device.sign_in()
    device.sync_until_quiet()
    reference.sync()
    assert_same_rows(device.store, reference.store)
    with device.store.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM case_search").scalar() == \
            len(_refs(device))


def test_a_fill_beside_removes_only_side_files_whose_process_is_gone(tmp_path) -> None:  # noqa: ANN001
    """Two processes syncing one store fill beside it at once: each has its own side file,
    and the next fill removes only those a killed process left (not a living one's)."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    mine = tmp_path / f"car9.db-search-{os.getpid()}"
    living = tmp_path / f"car9.db-search-{os.getppid()}"
    orphan = tmp_path / f"car9.db-search-{gone.pid}"
    others = [tmp_path / "car9.db-wal", tmp_path / "car9.db-search-notes", living,
              tmp_path / f"car99.db-search-{gone.pid}"]
    for path in [mine, Path(f"{mine}-journal"), orphan, Path(f"{orphan}-journal"), *others]:
        path.write_bytes(b"x")

    class Held:
        path = tmp_path / "car9.db"

    assert engine._side_path(Held()) == mine  # type: ignore[arg-type]
    engine._remove_orphan_sides(mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in others)


def test_a_stream_reads_its_scope_in_version_order_from_the_key_without_sorting(
        world: World) -> None:
    """The plan a stream's COPY runs with: the scope's rows read from the change log's
    primary key in version order, no sort of the scope (spilling to disk on a large one),
    no parallel workers and no JIT, whatever the planner would pick unprompted."""
    columns = engine._tables().columns
    with world.connect() as conn, conn.transaction():
        for setting in central.STREAM_PLAN:
            conn.execute(setting)
        # A planner that would rather scan the table and sort: what it did at 100,000
        # cases for a district that is a tenth of the log.
        conn.execute("SET LOCAL random_page_cost = 1000")
        for text, named in ((True, columns), (True, None), (False, None)):
            query = central.stream_query("district:THA", 0, 10**9, text=text, columns=named)
            inner = query.as_string(conn).removeprefix("COPY (").rsplit(") TO STDOUT", 1)[0]
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + inner))
            assert "change_pkey" in plan, plan
            assert "Sort" not in plan and "Gather" not in plan, plan
