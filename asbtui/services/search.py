"""Full-text search over cases: refs, summaries, locations and people's names and addresses.

Backed by the FTS5 table ``case_search``, one row per case. Search words are matched as
prefixes ("inv marg" finds Invicta Road, Margate) and every word must match.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlmodel import Session

from asbtui.errors import InvalidInput
from asbtui.models import Case, Party

_WORD = re.compile(r"\w+", re.UNICODE)
SEARCHED_COLUMNS = "{ref summary location people}"
WITHOUT_PEOPLE = "{ref summary location}"
# Each word is a prefix query over four columns: a pasted page of text (100 KB took a
# minute) is refused rather than run.
SEARCH_MAX = 200
SEARCH_WORDS_MAX = 12


def match_expression(text: str, *, with_people: bool = True) -> str | None:
    """The FTS5 query for what a user typed, or None when it holds no searchable word.

    Words are quoted, so FTS5 operators typed by a user (AND, NEAR, quotes, ``*``) are
    searched for as words rather than obeyed.
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
    return " AND ".join(f'{columns} : "{word}"*' for word in words)


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


def reindex_case(session: Session, case_id: str) -> None:
    """Rebuild the search row of one case from the case and its parties."""
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
            "INSERT INTO case_search(case_id, ref, summary, location, people) "
            "VALUES (:case_id, :ref, :summary, :location, :people)"
        ),
        {
            "case_id": case_id,
            "ref": case.ref,
            "summary": case.summary,
            "location": f"{case.location} {case.postcode}",
            "people": people,
        },
    )
