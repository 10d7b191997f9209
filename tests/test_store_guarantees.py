"""The local store's guarantees, tested against real SQLite files and real processes.

1. No confirmed write is lost: a writer killed with SIGKILL mid-stream leaves a sound
   store holding every case whose reference it had printed.
2. Two processes write to one store side by side without 'database is locked'.
3. A damaged, unreadable, missing or folder "store" gives a plain StoreError, and the CLI
   exits 1 with one 'asbtui:' line on stderr and no traceback.
4. A write blocked by another program's lock for longer than the busy timeout gives a
   StoreError saying the store is locked (a shorter lock is waited out).
5. A new store is at the Alembic head; reopening does not back it up again; ``db.backup``
   makes a readable copy with the same cases.
6. ``db.backup`` refuses to overwrite an existing file.

Beyond these, the tests pin defects found and fixed in review: odd characters in store
paths, foreign and newer stores, empty files, and two processes creating one store at once.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from asbtui import db
from asbtui.errors import StoreError
from asbtui.services import cases, queue

REF = re.compile(r"^[A-Z]{3}-\d{2}-[0-9A-HJKMNP-TV-Z]{5}$")

# A child that opens an existing store, waits for a go file (if given), then creates
# cases one by one, printing each reference only after create_case has returned.
CREATOR = r"""
import os, sys, time
from asbtui import db
from asbtui.services import cases

path, count, tag, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
store = db.open_store(path)
print("ready", flush=True)
if go:
    deadline = time.monotonic() + 20
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            sys.exit("no go file")
        time.sleep(0.001)
started = time.time()
for i in range(count):
    ref = cases.create_case(store, cases.NewCase(
        district="THA", category="nuisance", summary=f"{tag} case {i}",
        location=f"{i} Invicta Road, Margate", postcode="CT9 1AA",
        people=[cases.PersonInput(name=f"Victim {tag} {i}", address=f"{i} Invicta Road")],
    ))
    print(ref, flush=True)
finished = time.time()
store.close()
print(f"done {started!r} {finished!r}", flush=True)
"""

# A child that waits for a go file, then opens (making) a new store and writes one case.
NEW_STORE_OPENER = r"""
import os, sys, time
from asbtui import db
from asbtui.services import cases

path, go = sys.argv[1], sys.argv[2]
print("ready", flush=True)
deadline = time.monotonic() + 20
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("no go file")
    time.sleep(0.0005)
store = db.open_store(path, create=True)
print(cases.create_case(store, cases.NewCase(district="CAN", category="personal", summary="x")),
      flush=True)
store.close()
"""


# ---------------------------------------------------------------------------- helpers


def _new_case(i: int, tag: str = "fixture") -> cases.NewCase:
    return cases.NewCase(
        district="THA",
        category="nuisance",
        summary=f"{tag} summary {i}",
        location=f"{i} Invicta Road, Margate",
        people=[cases.PersonInput(name=f"Person {tag} {i}", address=f"{i} Invicta Road")],
    )


def _make_store(path: Path, count: int = 5) -> list[str]:
    with db.open_store(path, create=True) as store:
        return [cases.create_case(store, _new_case(i)) for i in range(count)]


def _case_refs(path: Path) -> set[str]:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {ref for (ref,) in connection.execute('SELECT ref FROM "case"')}
    finally:
        connection.close()


def _backup_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if "pre-migration" in p.name)


def _alembic_head() -> str:
    config = Config()
    config.set_main_option("script_location", "asbtui:migrations")
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head, "the migrations have no head revision"
    return head


def _assert_plain(message: str, path: Path | None = None) -> None:
    """A message a CSU officer can read: one line, no SQL, no driver or library noise."""
    assert message.strip(), "empty message"
    assert "\n" not in message.strip(), f"message spans lines: {message!r}"
    for noise in (
        "Traceback",
        "sqlite3.",
        "OperationalError",
        "DatabaseError",
        "[SQL:",
        "sqlalche.me",
        "Background on this error",
    ):
        assert noise not in message, f"{noise!r} in message: {message!r}"
    if path is not None:
        assert str(path) in message, f"message does not name {path}: {message!r}"


class _Lines:
    """Reads whole lines from a child's stdout pipe with a deadline (no blocking forever)."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.fd = process.stdout.fileno()
        self.buffer = b""
        self.eof = False

    def _fill(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not ready:
            return False
        chunk = os.read(self.fd, 65536)
        if not chunk:
            self.eof = True
        self.buffer += chunk
        return True

    def readline(self, timeout: float = 20.0) -> str | None:
        """The next complete line, or None at end of file; fails the test on timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer and not self.eof:
            if not self._fill(deadline - time.monotonic()) and time.monotonic() >= deadline:
                self.process.kill()
                pytest.fail(f"child wrote no line within {timeout} s")
        if b"\n" not in self.buffer:
            return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def rest(self, timeout: float = 20.0) -> list[str]:
        """Every remaining complete line up to end of file (a partial last line is dropped)."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            if time.monotonic() >= deadline:
                self.process.kill()
                pytest.fail("child's stdout did not close")
            self._fill(deadline - time.monotonic())
        lines, _, _partial = self.buffer.decode().rpartition("\n")
        self.buffer = b""
        return lines.split("\n") if lines else []


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment for child processes: no user settings, config or data folder leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASBTUI_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONSTARTUP", None)
    return env


@pytest.fixture
def five_case_store(tmp_path: Path) -> tuple[Path, list[str]]:
    """A real, closed store with five cases (each with a victim) and their references."""
    path = tmp_path / "store" / "asbtui.db"
    refs = _make_store(path, 5)
    return path, refs


def _spawn(script: str, args: list[object], env: dict[str, str], stderr_file: Path):
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=stderr_file.open("wb"),
        stdin=subprocess.DEVNULL,
        env=env,
        bufsize=0,
    )


def _cli(env: dict[str, str], *args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asbtui", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def _assert_cli_store_error(result: subprocess.CompletedProcess, path: Path) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    assert lines[0].startswith("asbtui: "), lines[0]
    assert str(path) in lines[0], lines[0]
    assert result.returncode == 1, (result.returncode, result.stderr)


# ------------------------------------------------- 1. no confirmed write is lost


@pytest.mark.parametrize(
    ("kill_after", "extra_delay"),
    [(1, 0.0), (7, 0.0015), (30, 0.0004)],
    ids=["after-1", "after-7", "after-30"],
)
def test_killed_writer_loses_no_confirmed_case(
    tmp_path: Path, child_env: dict[str, str], kill_after: int, extra_delay: float
) -> None:
    path = tmp_path / "asbtui.db"
    _make_store(path, 0)
    child = _spawn(CREATOR, [path, 100_000, "killed", ""], child_env, tmp_path / "err.txt")
    lines = _Lines(child)
    try:
        assert lines.readline() == "ready", (tmp_path / "err.txt").read_text()
        printed: list[str] = []
        while len(printed) < kill_after:
            line = lines.readline()
            assert line is not None, (tmp_path / "err.txt").read_text()
            printed.append(line)
        time.sleep(extra_delay)  # land the kill somewhere inside the next transaction
        os.kill(child.pid, signal.SIGKILL)
        printed += lines.rest()
    finally:
        child.kill()
        child.wait(timeout=20)
    assert child.returncode == -signal.SIGKILL, "the writer finished before it was killed"
    assert printed and all(REF.match(ref) for ref in printed), printed
    assert len(set(printed)) == len(printed)

    with db.open_store(path) as store:
        assert db.check(store) == []
        for ref in printed:
            detail = cases.case_detail(store, ref)
            assert detail.ref == ref
            assert detail.summary.startswith("killed case ")
            assert [p.name for p in detail.parties] == [
                f"Victim killed {detail.summary.rsplit(' ', 1)[1]}"
            ]
        with store.engine.connect() as connection:
            stored = connection.exec_driver_sql('SELECT count(*) FROM "case"').scalar()
            orphans = connection.exec_driver_sql(
                'SELECT count(*) FROM "case" c WHERE NOT EXISTS '
                "(SELECT 1 FROM party p WHERE p.case_id = c.id)"
            ).scalar()
            indexed = connection.exec_driver_sql("SELECT count(*) FROM case_search").scalar()
    # At most one case was committed but killed before its reference was printed, and
    # every stored case is whole: its victim and its search row went in with it.
    assert stored - len(printed) in (0, 1)
    assert orphans == 0
    assert indexed == stored


# ------------------------------------------------- 2. two processes side by side


def test_two_processes_write_side_by_side(tmp_path: Path, child_env: dict[str, str]) -> None:
    path = tmp_path / "shared.db"
    _make_store(path, 0)
    go = tmp_path / "go"
    children = [
        _spawn(CREATOR, [path, 100, tag, go], child_env, tmp_path / f"err-{tag}.txt")
        for tag in ("a", "b")
    ]
    readers = [_Lines(child) for child in children]
    try:
        for tag, reader in zip("ab", readers, strict=True):
            assert reader.readline() == "ready", (tmp_path / f"err-{tag}.txt").read_text()
        go.touch()
        outputs = [reader.rest(timeout=60) for reader in readers]
        for child in children:
            child.wait(timeout=60)
    finally:
        for child in children:
            child.kill()
            child.wait()

    spans = []
    all_refs: list[str] = []
    for tag, child, output in zip("ab", children, outputs, strict=True):
        errors = (tmp_path / f"err-{tag}.txt").read_text()
        assert child.returncode == 0, errors
        assert "locked" not in errors.lower()
        assert output[-1].startswith("done "), output[-3:]
        refs = output[:-1]
        assert len(refs) == 100 and all(REF.match(r) for r in refs)
        all_refs += refs
        _, started, finished = output[-1].split()
        spans.append((float(started), float(finished)))
    # The two writers really did overlap in time (otherwise this proves nothing).
    assert max(s for s, _ in spans) < min(f for _, f in spans), spans

    assert len(set(all_refs)) == 200
    assert _case_refs(path) == set(all_refs)
    with db.open_store(path) as store:
        assert db.check(store) == []
        for ref in all_refs[::20]:
            assert cases.case_detail(store, ref).ref == ref


def test_two_processes_making_a_new_store_at_once(
    tmp_path: Path, child_env: dict[str, str]
) -> None:
    for attempt in range(2):
        path = tmp_path / f"new-{attempt}.db"
        go = tmp_path / f"go-{attempt}"
        children = [
            _spawn(NEW_STORE_OPENER, [path, go], child_env, tmp_path / f"err-{attempt}-{i}.txt")
            for i in range(2)
        ]
        try:
            for child in children:
                assert _Lines(child).readline() == "ready"
            go.touch()
            for child in children:
                child.wait(timeout=30)
        finally:
            for child in children:
                child.kill()
                child.wait()
        for i, child in enumerate(children):
            assert child.returncode == 0, (tmp_path / f"err-{attempt}-{i}.txt").read_text()
        assert len(_case_refs(path)) == 2


# ------------------------------------------------- 3. damaged, unreadable, missing stores


def _random_bytes(path: Path, real: Path) -> None:
    path.write_bytes(os.urandom(8192))


def _first_page_overwritten(path: Path, real: Path) -> None:
    data = real.read_bytes()
    path.write_bytes(os.urandom(4096) + data[4096:])


def _first_page_zeroed(path: Path, real: Path) -> None:
    data = real.read_bytes()
    path.write_bytes(bytes(4096) + data[4096:])


def _truncated_half(path: Path, real: Path) -> None:
    data = real.read_bytes()
    path.write_bytes(data[: len(data) // 2 // 4096 * 4096])


def _truncated_header(path: Path, real: Path) -> None:
    path.write_bytes(real.read_bytes()[:60])


def _folder(path: Path, real: Path) -> None:
    path.mkdir()


def _missing(path: Path, real: Path) -> None:
    pass


DAMAGE = {
    "random-bytes": _random_bytes,
    "first-page-overwritten": _first_page_overwritten,
    "first-page-zeroed": _first_page_zeroed,
    "truncated-half": _truncated_half,
    "truncated-in-header": _truncated_header,
    "folder": _folder,
    "missing": _missing,
}


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_bad_store_gives_plain_store_error(
    five_case_store: tuple[Path, list[str]], tmp_path: Path, kind: str
) -> None:
    real, _ = five_case_store
    bad = tmp_path / f"{kind}.db"
    DAMAGE[kind](bad, real)
    before = bad.read_bytes() if bad.is_file() else None
    with pytest.raises(StoreError) as info:
        db.open_store(bad)
    _assert_plain(str(info.value), bad)
    if before is not None:
        assert bad.read_bytes() == before, "a damaged store was changed by opening it"
    assert not _backup_files(tmp_path)


@pytest.mark.parametrize(
    "kind",
    [pytest.param(kind) if kind == "folder" else kind for kind in DAMAGE],
)
def test_bad_store_via_cli_is_one_line_exit_1(
    five_case_store: tuple[Path, list[str]], tmp_path: Path, child_env: dict[str, str], kind: str
) -> None:
    real, _ = five_case_store
    bad = tmp_path / f"{kind}.db"
    DAMAGE[kind](bad, real)
    result = _cli(child_env, "--db", bad, "case", "list")
    _assert_cli_store_error(result, bad)
    assert result.stdout == ""


ROOT = not hasattr(os, "geteuid") or os.geteuid() == 0


@pytest.fixture
def unreadable_store(five_case_store: tuple[Path, list[str]]):
    path, _ = five_case_store
    path.chmod(0)
    yield path
    path.chmod(0o600)


@pytest.mark.skipif(ROOT, reason="root can read a chmod 000 file")
def test_unreadable_store_gives_plain_store_error(unreadable_store: Path) -> None:
    with pytest.raises(StoreError) as info:
        db.open_store(unreadable_store)
    _assert_plain(str(info.value), unreadable_store)


@pytest.mark.skipif(ROOT, reason="root can read a chmod 000 file")
def test_unreadable_store_via_cli_is_one_line_exit_1(
    unreadable_store: Path, child_env: dict[str, str]
) -> None:
    result = _cli(child_env, "--db", unreadable_store, "case", "list")
    _assert_cli_store_error(result, unreadable_store)


def test_store_truncated_to_nothing_is_not_silently_replaced(tmp_path: Path) -> None:
    path = tmp_path / "emptied.db"
    path.write_bytes(b"")
    with pytest.raises(StoreError) as info:
        db.open_store(path)
    _assert_plain(str(info.value), path)
    assert path.stat().st_size == 0


def test_foreign_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE bookmarks (url TEXT)")
    connection.execute("INSERT INTO bookmarks VALUES ('https://www.kent.police.uk')")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError) as info:
        db.open_store(path)
    _assert_plain(str(info.value), path)
    connection = sqlite3.connect(path)
    tables = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert tables == {"bookmarks"}


def test_store_from_a_newer_version_gives_plain_error(
    five_case_store: tuple[Path, list[str]], child_env: dict[str, str]
) -> None:
    path, _ = five_case_store
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    connection.commit()
    connection.close()
    try:
        db.open_store(path).close()
    except StoreError as error:
        _assert_plain(str(error), path)
    else:
        pytest.fail("a store from a newer version opened without complaint")
    result = _cli(child_env, "--db", path, "case", "list")
    _assert_cli_store_error(result, path)
    assert len(_backup_files(path.parent)) <= 1


# ------------------------------------------------- 4. a locked store


def _hold_exclusive_lock(path: Path) -> sqlite3.Connection:
    locker = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    locker.execute("INSERT INTO store_meta (key, value) VALUES ('lock-test', 'held')")
    return locker


def test_write_blocked_past_busy_timeout_says_locked(
    five_case_store: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, refs = five_case_store
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    with db.open_store(path) as store:
        locker = _hold_exclusive_lock(path)
        try:
            # Reads still work beside a writer (WAL). Opening a case is not only a read:
            # the view is audited in the same store, so it waits for the lock like a write.
            assert queue.queue_count(store, queue.QueueQuery(district=None)) == len(refs)
            with pytest.raises(StoreError, match="locked"):
                cases.case_detail(store, refs[0])
            started = time.monotonic()
            with pytest.raises(StoreError) as info:
                cases.create_case(store, _new_case(99, "blocked"))
            waited = time.monotonic() - started
        finally:
            locker.rollback()
            locker.close()
        message = str(info.value)
        assert "locked" in message.lower()
        _assert_plain(message, path)
        assert 0.25 <= waited < 3, f"waited {waited:.2f} s for a 0.3 s busy timeout"
        # Nothing of the refused case was written; once the lock is gone, writes work.
        assert not any("blocked" in cases.case_detail(store, r).summary for r in refs)
        ref = cases.create_case(store, _new_case(100, "after"))
        assert cases.case_detail(store, ref).summary == "after summary 100"
        assert db.check(store) == []
    assert len(_case_refs(path)) == len(refs) + 1


def test_write_waits_out_a_lock_shorter_than_busy_timeout(
    five_case_store: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, refs = five_case_store
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 4000)
    with db.open_store(path) as store:
        locker = _hold_exclusive_lock(path)
        release = threading.Timer(0.4, locker.rollback)
        release.start()
        try:
            started = time.monotonic()
            ref = cases.create_case(store, _new_case(7, "waited"))
            waited = time.monotonic() - started
        finally:
            release.join()
            locker.close()
        assert waited >= 0.3, "the write did not wait for the lock at all"
        assert cases.case_detail(store, ref).summary == "waited summary 7"
    assert len(_case_refs(path)) == len(refs) + 1


# ------------------------------------------------- 5. migrations and backups


def test_new_store_is_at_alembic_head(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    with db.open_store(path, create=True) as store:
        assert store.device_id
        assert db.check(store) == []
    connection = sqlite3.connect(path)
    versions = [v for (v,) in connection.execute("SELECT version_num FROM alembic_version")]
    connection.close()
    assert versions == [_alembic_head()]
    assert not _backup_files(tmp_path), "a new store was 'backed up before migration'"


def test_reopening_a_current_store_makes_no_backup(
    five_case_store: tuple[Path, list[str]], child_env: dict[str, str]
) -> None:
    path, refs = five_case_store
    device_ids = set()
    for _ in range(2):
        with db.open_store(path) as store:
            device_ids.add(store.device_id)
    result = _cli(child_env, "--db", path, "db", "migrate")
    assert result.returncode == 0, result.stderr
    assert _backup_files(path.parent) == []
    assert sorted(p.name for p in path.parent.iterdir() if p.suffix == ".db") == [path.name]
    assert len(device_ids) == 1, "the device id changed between openings"
    assert _case_refs(path) == set(refs)


def test_backup_is_a_readable_copy_with_the_same_cases(
    five_case_store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, refs = five_case_store
    target = tmp_path / "backups" / "copy.db"
    target.parent.mkdir()
    with db.open_store(path) as store:
        refs.append(cases.create_case(store, _new_case(50, "live")))
        # Backed up while in use, with another program mid-write: the uncommitted case
        # must not be in the copy, every committed one must.
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO store_meta (key, value) VALUES ('uncommitted', 'x')")
        try:
            assert db.backup(path, target) == target
        finally:
            writer.rollback()
            writer.close()
        originals = {ref: cases.case_detail(store, ref) for ref in refs}
    assert _case_refs(target) == set(refs)
    with db.open_store(target) as copy:
        assert db.check(copy) == []
        for ref, original in originals.items():
            restored = cases.case_detail(copy, ref)
            assert restored == original
        with copy.engine.connect() as connection:
            keys = connection.exec_driver_sql("SELECT key FROM store_meta").scalars().all()
        assert "uncommitted" not in keys
    assert _backup_files(tmp_path) == [], "opening the backup triggered a migration backup"


def test_backup_into_a_missing_folder_names_the_target(
    five_case_store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, _ = five_case_store
    target = tmp_path / "no such folder" / "copy.db"
    with pytest.raises(StoreError) as info:
        db.backup(path, target)
    _assert_plain(str(info.value), target)
    assert not target.exists()


SPECIAL_FOLDER_NAMES = [
    "Case files 2026",
    pytest.param("Case files #2"),
    pytest.param("50% done"),
    pytest.param("Why?"),
]


@pytest.mark.parametrize("folder_name", SPECIAL_FOLDER_NAMES)
def test_store_and_backup_in_a_folder_with_unusual_characters(
    tmp_path: Path, folder_name: str
) -> None:
    folder = tmp_path / folder_name
    path = folder / "asbtui.db"
    with db.open_store(path, create=True) as store:
        ref = cases.create_case(store, _new_case(1, "odd"))
    assert path.is_file(), f"the store was not made at {path}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder_name]
    with db.open_store(path) as store:
        assert cases.case_detail(store, ref).ref == ref
    copy = db.backup(path, folder / "copy.db")
    assert _case_refs(copy) == {ref}


# ------------------------------------------------- 6. backup refuses an existing target


def test_backup_refuses_an_existing_target(
    five_case_store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, refs = five_case_store
    target = tmp_path / "precious.db"
    target.write_bytes(b"an officer's earlier backup")
    with pytest.raises(StoreError) as info:
        db.backup(path, target)
    _assert_plain(str(info.value), target)
    assert target.read_bytes() == b"an officer's earlier backup"


def test_backup_refuses_to_overwrite_the_store_itself(
    five_case_store: tuple[Path, list[str]],
) -> None:
    path, refs = five_case_store
    before = path.read_bytes()
    with pytest.raises(StoreError):
        db.backup(path, path)
    assert path.read_bytes() == before
    with db.open_store(path) as store:
        assert db.check(store) == []
        assert {cases.case_detail(store, r).ref for r in refs} == set(refs)


def test_backup_via_cli_refuses_an_existing_target(
    five_case_store: tuple[Path, list[str]], tmp_path: Path, child_env: dict[str, str]
) -> None:
    path, _ = five_case_store
    target = tmp_path / "taken.db"
    shutil.copy(path, target)
    before = target.read_bytes()
    result = _cli(child_env, "--db", path, "db", "backup", target)
    _assert_cli_store_error(result, target)
    assert target.read_bytes() == before
