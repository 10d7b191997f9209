"""Full-text search over cases: refs, summaries, locations and people's names and addresses.

Backed by the FTS5 table ``case_search``, one row per case. Search words are matched as
prefixes ("inv marg" finds Invicta Road, Margate) and every word must match.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlmodel import Session

from asbtui.errors import InvalidInput
from asbtui.models import Case

_WORD = re.compile(r"\w+", re.UNICODE)
SEARCHED_COLUMNS = "{ref summary location people}"
WITHOUT_PEOPLE = "{ref summary location}"
# Each word is a prefix query over four columns: a pasted page of text (100 KB took a
# minute) is refused rather than run.
SEARCH_MAX = 200
SEARCH_WORDS_MAX = 12


PREFIX_MIN = 2
"""Shorter words match whole words only: "s*" would merge the lists of every word that
starts with s (most of a million cases) before the first match could be shown."""
FEW = 1000
"""A search with at most this many matches is sorted like the queue; more are shown
newest first (the search index's own order) and counted as "1,000+"."""


def match_expression(text: str, *, with_people: bool = True) -> str | None:
    """The FTS5 query for what a user typed, or None when it holds no searchable word.

    Words are quoted, so FTS5 operators typed by a user (AND, NEAR, quotes, ``*``) are
    searched for as words rather than obeyed. Words of :data:`PREFIX_MIN` letters or more
    match as prefixes ("inv marg"); a single letter matches itself (an initial).
    """
    if len(text) > SEARCH_MAX:
        raise InvalidInput(f"The search is too long: at most {SEARCH_MAX} characters.",
                           "search")
    words = _WORD.findall(text.lower())
    if not words:
        return None
    if len(words) > SEARCH_WORDS_MAX:
        raise InvalidInput(f"The search has too many words: at most {SEARCH_WORDS_MAX}.",
                           "search")
    columns = SEARCHED_COLUMNS if with_people else WITHOUT_PEOPLE
    return " AND ".join(
        f'{columns} : "{word}"' + ("*" if len(word) >= PREFIX_MIN else "")
        for word in words
    )


def search_table() -> sa.TableClause:
    """The FTS5 table. Its rowids fall as cases are indexed (each new row takes one below
    the lowest), so ascending rowid is newest first: FTS5 reads a word's list forwards
    as it streams, but must load the whole list to read it backwards."""
    return sa.table("case_search", sa.column("rowid", sa.Integer), sa.column("case_id"))


def match(expression: str) -> sa.ColumnElement[bool]:
    return sa.text("case_search MATCH :search_match").bindparams(search_match=expression)


def newest_matches(connection: sa.Connection, expression: str, limit: int) -> list[str]:
    """The ids of up to ``limit`` matching cases, most recently indexed first.

    FTS5 reads its lists in rowid order and stops at the limit, so this costs the same for
    a word in a million cases as for a word in ten.
    """
    fts = search_table()
    select = (sa.select(fts.c.case_id).where(match(expression))
              .order_by(fts.c.rowid).limit(limit))
    return list(connection.execute(select).scalars())


def matching_case_ids(text: str, *, with_people: bool = True) -> sa.Select | None:
    """A select of the ids of cases matching ``text``, for use in ``IN (...)``; without
    ``with_people``, people's names and addresses are not searched."""
    expression = match_expression(text, with_people=with_people)
    if expression is None:
        return None
    return (
        sa.select(sa.column("case_id"))
        .select_from(sa.table("case_search"))
        .where(sa.text("case_search MATCH :search_match").bindparams(search_match=expression))
    )


FILL_CACHE_KIB = 2 * 1024 * 1024
FILL_MMAP = 8 << 30


FILL_READS = ("ix_case_by_opened_all", "ix_party_case_id")
"""The indexes the fill reads (the cases newest first, each case's people): made before a
fill beside the other indexes (:func:`fill_beside`), so that it plans as in place."""
BESIDE = "asbtui_search_fill"
"""The schema name of the side file a fill beside writes into."""


def _fill(connection: sa.Connection, schema: str) -> None:
    """The fill's one statement, into ``schema``'s ``case_search`` (``main``, or the side
    file), with a cache and a mapping for the store it reads (this statement only)."""
    cache = connection.exec_driver_sql("PRAGMA main.cache_size").scalar_one()
    mapped = connection.exec_driver_sql("PRAGMA main.mmap_size").scalar() or 0
    connection.exec_driver_sql(f"PRAGMA main.cache_size=-{FILL_CACHE_KIB}").close()
    connection.exec_driver_sql(f"PRAGMA main.mmap_size={max(FILL_MMAP, int(mapped))}").close()
    try:
        connection.exec_driver_sql(
            f"""
            INSERT INTO {schema}.case_search(case_id, ref, summary, location, people)
            SELECT c.id, c.ref, c.summary, c.location || ' ' || c.postcode,
                   coalesce((SELECT group_concat(p.name || ' ' || p.address, ' ')
                             FROM main.party p WHERE p.case_id = c.id AND NOT p.deleted), '')
            FROM main."case" c WHERE c.deleted = 0 ORDER BY c.opened_at DESC
            """
        )
    finally:
        connection.exec_driver_sql(f"PRAGMA main.mmap_size={int(mapped)}").close()
        connection.exec_driver_sql(f"PRAGMA main.cache_size={int(cache)}").close()


def rebuild_index(connection: sa.Connection) -> None:
    """Index every case again in one statement (after a bulk load: the demo, a first sync).

    Newest first: ascending rowids then read matches newest first, as ``reindex_case``
    keeps them (each case it indexes goes in below the lowest rowid). The cases are read
    down ``ix_case_by_opened_all`` (``deleted = 0``, not ``NOT deleted``, so that the index
    serves): no sort of a million documents before the first is indexed. Cases in opening
    order and their people are read from pages all over the store: with a 256 MiB cache a
    million cases took 191 s of CPU, with a 2 GiB cache and the file mapped 71 s (the
    cache and the mapping are for this statement only).
    """
    connection.exec_driver_sql("DELETE FROM case_search")
    _fill(connection, "main")


SHADOWS = ("data", "idx", "content", "docsize", "config")
"""FTS5's own tables behind ``case_search`` (``case_search_data`` and so on)."""


def fill_beside(connection: sa.Connection) -> None:
    """Fill a whole search index into the side file attached to ``connection`` as
    :data:`BESIDE` (see :func:`attach_beside`), reading the store's committed rows: one
    statement, which runs outside the interpreter's lock, so a second thread can fill
    while the store's writer makes its other indexes (a first sync). Needs
    :data:`FILL_READS`. The side file is scratch: no journal, no syncs."""
    declared = connection.exec_driver_sql(
        "SELECT sql FROM main.sqlite_master WHERE name = 'case_search'").scalar_one()
    connection.exec_driver_sql(f"PRAGMA {BESIDE}.journal_mode=OFF").close()
    connection.exec_driver_sql(f"PRAGMA {BESIDE}.synchronous=OFF").close()
    for shadow in SHADOWS:  # what a fill cut before left behind
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {BESIDE}.case_search_{shadow}")
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {BESIDE}.case_search")
    connection.exec_driver_sql(declared.replace(
        "CREATE VIRTUAL TABLE case_search ", f"CREATE VIRTUAL TABLE {BESIDE}.case_search ", 1))
    _fill(connection, BESIDE)


def take_beside(connection: sa.Connection) -> None:
    """Replace the store's search index with the one filled beside (attached as
    :data:`BESIDE`), in the caller's write transaction: FTS5's tables copied row for row,
    the same rows under the same rowids as a fill in place into an empty index. The
    connection must not serve FTS5 again (it caches the index's structure, which this
    changes behind its back): the caller closes it."""
    for shadow in SHADOWS:
        connection.exec_driver_sql(f"DELETE FROM main.case_search_{shadow}")
        connection.exec_driver_sql(
            f"INSERT INTO main.case_search_{shadow} "
            f"SELECT * FROM {BESIDE}.case_search_{shadow}")


def reindex_case(session: Session, case_id: str) -> None:
    """Rebuild the search row of one case from the case and its parties."""
    from asbtui.models import Party

    connection = session.connection()
    connection.execute(
        sa.text("DELETE FROM case_search WHERE case_search MATCH :m"),
        {"m": f'case_id : "{case_id}"'},
    )
    case = session.get(Case, case_id)
    if case is None or case.deleted:
        return
    parties = session.exec(
        sa.select(Party.name, Party.address).where(Party.case_id == case_id, ~Party.deleted)
    ).all()
    people = " ".join(f"{name} {address}" for name, address in parties)
    connection.execute(
        sa.text(
            "INSERT INTO case_search(rowid, case_id, ref, summary, location, people) "
            "VALUES (coalesce((SELECT rowid FROM case_search ORDER BY rowid LIMIT 1), 1) - 1, "
            ":case_id, :ref, :summary, :location, :people)"
        ),
        {
            "case_id": case_id,
            "ref": case.ref,
            "summary": case.summary,
            "location": f"{case.location} {case.postcode}",
            "people": people,
        },
    )
