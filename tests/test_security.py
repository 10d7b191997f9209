"""The holes a probe of the store found (issue 16), each closed and kept closed.

Lock-out under parallel tries, probing user names, the audit chain's anchor, who may back
up the store, audit scope, input bounds and erasure of copies.
"""

from __future__ import annotations

import multiprocessing
import time

import pytest
from argon2 import PasswordHasher

from asbtui.db import open_store
from asbtui.errors import AsbError, SignInFailed
from asbtui.models import Role
from asbtui.services import users

PIN = "482915"


def _try_pin(path: str, pin: str, start: float) -> str:
    # A fresh process, as a second terminal would be: its own store connection. A hash
    # of a few milliseconds leaves the window a read-then-write count would lose tries in.
    users._hasher = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    while time.time() < start:
        time.sleep(0.0005)
    with open_store(path) as store:
        try:
            users.sign_in(store, "pc.target", pin)
        except SignInFailed:
            return "refused"
        except AsbError as error:
            return type(error).__name__
    return "signed in"


def _failed_count(path: str) -> tuple[int, object]:
    with open_store(path) as store, store.engine.connect() as connection:
        return tuple(connection.exec_driver_sql(  # type: ignore[return-value]
            "SELECT failed_attempts, locked_until FROM app_user "
            "WHERE username = 'pc.target'").one())


def test_wrong_pins_from_several_processes_at_once_all_count(store):
    users.add_user(store, "admin", Role.ADMIN, PIN)
    users.sign_in(store, "admin", PIN)
    users.add_user(store, "pc.target", Role.OFFICER, PIN, districts=["THA"])
    path = str(store.path)
    store.close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        pool.starmap(_try_pin, [(path, PIN, 0.0)] * 4)  # warm the workers up
        start = time.time() + 0.5
        results = pool.starmap(_try_pin, [(path, "000000", start)] * 4)
        assert results == ["refused"] * 4
        # Four tries at the same moment are four tries: none lost to a race.
        assert _failed_count(path) == (4, None)
        start = time.time() + 0.5
        results = pool.starmap(_try_pin, [(path, "000000", start)] * 8)
    assert results == ["refused"] * 8
    assert _failed_count(path)[1] is not None
    with open_store(path) as again:
        with pytest.raises(SignInFailed) as refused:
            users.sign_in(again, "pc.target", PIN)
        assert refused.value.locked


def test_an_unknown_name_costs_the_same_argon2_verify_as_a_known_one(store, monkeypatch):
    users.add_user(store, "pc.known", Role.OFFICER, PIN, districts=["THA"])
    calls: list[str] = []
    real = users._hasher

    class Counting(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 - argon2's own name
            calls.append(hash)
            return real.verify(hash, password)

    counting = Counting(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(users, "_hasher", counting)
    for name in ("pc.known", "pc.unknown"):
        with pytest.raises(SignInFailed):
            users.sign_in(store, name, "000000")
    assert len(calls) == 2 and all(h.startswith("$argon2id$") for h in calls)
