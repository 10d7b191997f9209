"""Encryption at rest: the store as a SQLCipher file, keyed from a store passphrase.

SQLCipher encrypts every page (AES-256, with an HMAC per page); its own key derivation is
PBKDF2-HMAC-SHA512 over the passphrase and a random 16-byte salt kept at the start of the
file. We run that same derivation once per process (:class:`StoreKey`) and hand SQLCipher
the raw key with the salt, so each new connection (a worker thread, the migration engine,
a backup) opens at once instead of paying the 256,000 iterations again. The file stays a
standard SQLCipher 4 database: the ``sqlcipher`` shell opens it with ``PRAGMA key`` and the
passphrase.

Files are made owner-only (0600) before SQLite first writes them, and SQLite gives the
``-wal`` and ``-shm`` files the mode of the store, so no copy is readable by other users.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any, Literal

from asbtui.errors import StoreError

SQLITE_MAGIC = b"SQLite format 3\x00"
SALT_BYTES = 16
KDF_ITERATIONS = 256_000  # SQLCipher 4's default for PBKDF2-HMAC-SHA512
KEY_MIN = 8
KEY_MAX = 1024
OWNER_ONLY = 0o600
CACHE_KIB = 32 * 1024

StoreKind = Literal["missing", "empty", "plain", "encrypted"]


class StoreKey:
    """A store passphrase, stretched once per salt; never shown, never logged."""

    def __init__(self, passphrase: str) -> None:
        try:
            secret = passphrase.encode("utf-8")
        except UnicodeEncodeError:
            raise StoreError("The store key is not valid text (check ASBTUI_KEY).") from None
        if not secret:
            raise StoreError("The store key is empty.")
        if len(secret) > KEY_MAX:
            raise StoreError(f"The store key is too long (at most {KEY_MAX} bytes).")
        self._secret = secret
        self._derived: dict[bytes, bytes] = {}

    def __repr__(self) -> str:
        return "StoreKey(<hidden>)"

    def raw(self, salt: bytes) -> bytes:
        """SQLCipher's own key for this passphrase and salt (PBKDF2-HMAC-SHA512)."""
        if salt not in self._derived:
            self._derived[salt] = hashlib.pbkdf2_hmac("sha512", self._secret, salt,
                                                      KDF_ITERATIONS, 32)
        return self._derived[salt]

    def pragma(self, salt: bytes) -> str:
        """The value for ``PRAGMA key`` / ``ATTACH ... KEY``: raw key and salt, in hex."""
        return f"\"x'{self.raw(salt).hex()}{salt.hex()}'\""


def check_new_key(passphrase: str) -> str:
    """A new store passphrase must be long enough to resist guessing offline."""
    if len(passphrase) < KEY_MIN:
        raise StoreError(f"A store key needs at least {KEY_MIN} characters (a passphrase of "
                         "a few words is best).")
    return passphrase


def store_kind(path: Path) -> StoreKind:
    """What is at ``path``: nothing, an empty file, a plain SQLite store or (by elimination)
    an encrypted one. A SQLCipher file has no readable header: its first bytes are the salt."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "plain"  # let SQLite explain what is wrong with it
    if not head:
        return "empty"
    return "plain" if head == SQLITE_MAGIC else "encrypted"


def salt_of(path: Path) -> bytes | None:
    """The salt at the start of an encrypted store, or None when there is no file yet."""
    try:
        with open(path, "rb") as file:
            salt = file.read(SALT_BYTES)
    except FileNotFoundError:
        return None
    return salt if len(salt) == SALT_BYTES else None


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def create_private(path: Path) -> None:
    """Make ``path`` as an empty owner-only file (0600), before SQLite writes to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    os.close(fd)


def make_private(path: Path) -> None:
    """Tighten an existing store (and its -wal, -shm) to owner-only, where we own it."""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                candidate.chmod(OWNER_ONLY)
        except OSError:
            pass  # not ours to change; opening it will say what is wrong, if anything


def cipher_module() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError:  # pragma: no cover - a dependency, installed with asbtui
        raise StoreError("Encrypted stores need the sqlcipher3 package: "
                         "pip install sqlcipher3-binary") from None
    return dbapi2


def connect(path: Path | str, key: StoreKey, salt: bytes, **kwargs: Any) -> Any:
    """A SQLCipher connection to ``path``, keyed before anything else is sent."""
    module = cipher_module()
    connection = module.connect(str(path), **kwargs)
    # SQLCipher writes its own errors to stderr (a wrong key would print three lines).
    connection.execute("PRAGMA cipher_log_level = NONE").close()
    connection.execute(f"PRAGMA key = {key.pragma(salt)}").close()
    # Each page is decrypted as it enters SQLite's own cache, and the OS cache only holds
    # ciphertext: a bigger cache keeps a warm store's pages decrypted (2 MiB by default).
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}").close()
    return connection


def export(source: Any, target: Path, key: StoreKey | None, salt: bytes | None) -> None:
    """Write the database open on ``source`` (a SQLCipher connection) to ``target``:
    encrypted with ``key`` and ``salt``, or plain when ``key`` is None."""
    value = key.pragma(salt) if key is not None and salt is not None else "''"
    quoted = str(target).replace("'", "''")
    source.execute(f"ATTACH DATABASE '{quoted}' AS asbtui_copy KEY {value}").close()
    try:
        source.execute("SELECT sqlcipher_export('asbtui_copy')").close()
    finally:
        source.execute("DETACH DATABASE asbtui_copy").close()
