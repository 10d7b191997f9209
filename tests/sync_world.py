"""A central store of its own per test: a fresh PostgreSQL database, the real sync service
on a free loopback port, and devices (SQLite stores) enrolled with it.

PostgreSQL is the machine's own at 127.0.0.1:5432 (trust auth). Without it the tests skip,
except under CI=true, where they fail: sync must never go untested in CI.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from fresh import new_store

from asbtui.db import Store
from asbtui.models import Role
from asbtui.server import central
from asbtui.server.app import create_app
from asbtui.server.bulk import bulk_load
from asbtui.server.schema import migrate
from asbtui.services import cases, partners, users
from asbtui.sync import engine
from asbtui.sync.outbox import LOCAL_FIELDS
from asbtui.sync.snapshot import rows_of, snapshot, synced_tables
from asbtui.sync.transport import HttpTransport

ADMIN_URL = os.environ.get("ASBTUI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PIN = "482915"
AGENCY = "Thanet District Council"
USERS = {"pc": "officer", "sup": "supervisor", "tdc": "partner", "medpc": "officer"}


def postgres_or_skip() -> None:
    try:
        psycopg.connect(ADMIN_URL, connect_timeout=3).close()
    except psycopg.Error as error:
        lines = str(error).strip().splitlines()
        message = f"no PostgreSQL at {ADMIN_URL}: {lines[-1] if lines else error}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"sync tests must run under CI: {message}")
        pytest.skip(message)


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new database (sync_<random>), dropped afterwards; yields its URL."""
    postgres_or_skip()
    name = f"sync_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base = ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_server(url: str) -> Iterator[str]:
    """The sync service for ``url`` on a free loopback port, in a thread; yields its address."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(url, pool_size=4), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sync service did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def build_seed(path: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    """A small force made through the services: officers, an agency, Thanet and Medway
    cases (one shared with the council), and a user of each role; returns its rows."""
    from argon2 import PasswordHasher

    full, users._hasher = users._hasher, PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1)
    try:
        return _seed(path)
    finally:
        users._hasher = full


def _seed(path: Path) -> list[tuple[str, list[dict[str, Any]]]]:
    with new_store(path) as store:
        partners.add_agency(store, AGENCY, "council", "ISA-THA-1", district="THA")
        for collar, district in (("PC 1", "THA"), ("PC 2", "THA"), ("PC 3", "MED")):
            cases.add_officer(store, collar, f"Officer {collar[-1]}", district)
        for number in range(6):
            district = "MED" if number == 5 else "THA"
            ref = cases.create_case(store, cases.NewCase(
                district=district, category="nuisance", summary=f"Noise at number {number}",
                location=f"{number} High Street, Margate", owner_collar=None))
            if number == 0:
                partners.share_case(store, ref, AGENCY, "Joint problem solving")
        users.add_user(store, "admin", Role.ADMIN, PIN)
        users.sign_in(store, "admin", PIN)
        users.add_user(store, "pc", Role.OFFICER, PIN, districts=["THA"], collar="PC 1")
        users.add_user(store, "sup", Role.SUPERVISOR, PIN, districts=["THA"])
        users.add_user(store, "medpc", Role.OFFICER, PIN, districts=["MED"], collar="PC 3")
        users.add_user(store, "tdc", Role.PARTNER, PIN, agency=AGENCY)
        return [(table, list(rows)) for table, rows in snapshot(store)]


@dataclass
class Device:
    """An enrolled device: its store, its user and how it reaches the service."""

    name: str
    store: Store
    user: str
    url: str
    key: str

    def transport(self) -> HttpTransport:
        return HttpTransport(self.url, self.key, self.user)

    def sync(self, **kwargs: Any) -> engine.SyncReport:
        transport = self.transport()
        try:
            return engine.sync(self.store, transport, **kwargs)
        finally:
            transport.close()

    def sync_until_quiet(self, rounds: int = 6) -> None:
        for _ in range(rounds):
            report = self.sync()
            if report.pushed == 0 and report.pulled == 0:
                return
        raise AssertionError(f"{self.name} did not settle in {rounds} syncs")

    def sign_in(self) -> None:
        users.sign_in(self.store, self.user, PIN)


@dataclass
class World:
    """A central store with the seed force, its running service, and a way to add devices."""

    url: str
    address: str
    folder: Path

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def device(self, name: str, user: str, *, sign_in: bool = True, districts: str = "",
               owned: bool = True) -> Device:
        with self.connect() as conn:
            code = central.enrol_device(conn, name, districts, owned)
        store = new_store(self.folder / f"{name}.db")
        transport = HttpTransport(self.address)
        engine.enrol(store, self.address, code, transport)
        transport.close()
        url, key = engine.credentials(store)
        device = Device(name, store, user, url, key)
        device.sync()
        if sign_in:
            device.sign_in()
            device.sync_until_quiet()
        return device

    def server_rows(self) -> dict[tuple[str, str], dict[str, Any]]:
        with self.connect() as conn:
            return {(t, k): d for t, k, d in conn.execute("SELECT tbl, key, data FROM record")}

    def scalar(self, query: str, *params: Any) -> Any:
        with self.connect() as conn:
            return conn.execute(query, params).fetchone()[0]


def device_rows(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for table in synced_tables():
        for data in rows_of(store, table):
            for local in LOCAL_FIELDS.get(table, ()):
                data.pop(local, None)
            if table in LOCAL_FIELDS:
                # A sign-in stamps the row for its lockout counts, which stay here.
                data.pop("updated_at"), data.pop("origin")
            rows[(table, data["id"])] = data
    return rows


def assert_device_matches_server(world: World, device: Device,
                                 districts: tuple[str, ...] | None = ("THA",)) -> None:
    """Every row the device holds equals the server's; with ``districts``, every server row of
    the force and of those districts is on the device."""
    server = world.server_rows()
    with world.connect() as conn:
        wanted = {(t, k) for t, k, d in conn.execute("SELECT tbl, key, district FROM record")
                  if districts is not None and (d is None or d in districts)}
    mine = device_rows(device.store)
    for key, data in mine.items():
        if key[0] in LOCAL_FIELDS:
            data = {**data, "updated_at": server.get(key, {}).get("updated_at"),
                    "origin": server.get(key, {}).get("origin")}
        assert key in server, f"{device.name} holds {key} that the server lacks"
        if server[key] != data:
            diff = {n: (server[key].get(n), v) for n, v in data.items() if server[key].get(n) != v}
            raise AssertionError(f"{device.name} differs from the server on {key}: {diff}")
    for key in wanted:
        assert key in mine, f"{device.name} lacks {key}"


def assert_same_rows(one: Store, other: Store, label: str = "") -> None:
    left, right = device_rows(one), device_rows(other)
    assert sorted(set(left) ^ set(right)) == [], label
    differing = {k: {n: (v, right[k].get(n)) for n, v in left[k].items() if right[k].get(n) != v}
                 for k in left if left[k] != right[k]}
    assert differing == {}, label


@contextlib.contextmanager
def world_at(folder: Path, seed: list[tuple[str, list[dict[str, Any]]]]) -> Iterator[World]:
    with fresh_database() as url:
        migrate(url)
        with psycopg.connect(url, autocommit=True) as conn:
            bulk_load(conn, seed)
        with running_server(url) as address:
            yield World(url, address, folder)
