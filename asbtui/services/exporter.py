"""Case export: one case's file as PDF, Markdown or JSON, for a court bundle or a partner.

The file holds only what the actor may see, read through the same services as the case
screen: a partner gets only cases shared with their agency, and of the notes only those
their agency may read. People's dates of birth, addresses, phones and notes go in only
with a reason, through :func:`cases.person_details` (which audits each person's view),
and every export is itself audited (DPA 2018 s62: disclosure), with the reason and format.

Stored text is data, never markup, in every format: Markdown escapes it, the PDF writes it
with markup off, and control characters are made visible first (``literal.visible``).
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asbtui.dates import format_date, format_datetime, to_london, utc_now
from asbtui.errors import InvalidInput
from asbtui.literal import one_line, visible
from asbtui.models import CaseShare, Role
from asbtui.services import audit, cases, enforcement, partners
from asbtui.services.access import (
    Actor,
    Permission,
    current,
    disclosed_party_ids,
    permits,
    readable_case_ids,
    require,
)
from asbtui.services.cases import CaseDetail, PartyView
from asbtui.services.enforcement import ActionDetail, DeadlineView
from asbtui.services.partners import NoteView, ShareView, TimelineEntry

if TYPE_CHECKING:
    from collections.abc import Callable

    from asbtui.db import Store

# The Government Security Classification marking of personal data held for policing.
MARKING = "OFFICIAL-SENSITIVE"


class ExportFormat(StrEnum):
    PDF = "pdf"
    MD = "md"
    JSON = "json"

    @property
    def label(self) -> str:
        return {"pdf": "PDF", "md": "Markdown", "json": "JSON"}[self.value]


def parse_format(value: str | ExportFormat | None) -> ExportFormat:
    """A format named by the user: pdf, md (or markdown) or json."""
    text = str(value or "").strip().lower().lstrip(".")
    try:
        return ExportFormat({"markdown": "md"}.get(text, text))
    except ValueError:
        raise InvalidInput(f"'{one_line(str(value or ''), 20)}' is not an export format: "
                           "use pdf, md or json.", "format") from None


def file_name(ref: str, fmt: ExportFormat | str, now: datetime | None = None) -> str:
    """The usual name of an export, e.g. ``THA-26-7K3QX-20261125-1430.pdf`` (London time)."""
    moment = to_london(now or utc_now())
    return f"{ref.strip().upper()}-{moment:%Y%m%d-%H%M}.{parse_format(fmt).value}"


@dataclass(frozen=True)
class CaseFile:
    """Everything an export holds, read with the actor's own view of the case."""

    detail: CaseDetail
    people: list[PartyView]
    people_in_full: bool
    shares: list[ShareView]
    actions: list[ActionDetail]
    deadlines: list[DeadlineView]
    timeline: list[TimelineEntry]
    generated_by: str
    generated_at: datetime
    reason: str


@permits(Permission.READ_CASES)
def export_case(store: Store, ref: str, fmt: ExportFormat | str, reason: str, *,
                include_people: bool = True, now: datetime | None = None,
                saved_to: Path | None = None, for_agency: str | None = None) -> bytes:
    """One case as a file in ``fmt``; people's details in full only if ``include_people``
    (which needs the right to see them). Audited as an export, with the reason.

    ``for_agency`` makes the file for a partner agency: only the people the case's share
    with that agency discloses, and only the notes that agency may read.
    """
    actor = current(store)
    chosen = parse_format(fmt)
    why = audit.justification(reason)
    if include_people:
        require(store, Permission.VIEW_PEOPLE)
    case_file = _read(store, actor, ref, why, include_people, now or utc_now())
    audience = ""
    if for_agency is not None:
        case_file, audience = _for_partner(store, actor, case_file, for_agency)
    data = RENDERERS[chosen](case_file)
    with store.session() as session:
        audit.record(session, store, actor, audit.AuditAction.EXPORT, "case",
                     case_file.detail.id, case_ref=case_file.detail.ref,
                     detail=f"format {chosen.value}; people "
                     f"{'in full' if include_people else 'by name only'}"
                     + (f"; for {audience}" if audience else "")
                     # Where the file went, so that an erasure can say what to destroy.
                     + (f"; saved to {saved_to.resolve()}" if saved_to else ""), reason=why)
    return data


@permits(Permission.READ_CASES)
def save_case(store: Store, ref: str, fmt: ExportFormat | str, reason: str, path: Path, *,
              include_people: bool = True, now: datetime | None = None,
              for_agency: str | None = None) -> Path:
    """Export a case into a new file at ``path``; an existing file is never overwritten.

    The file is claimed before the case is read, so a path that cannot be written is
    refused before anything is audited as exported.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise InvalidInput(f"{target} is a folder: give a file name.", "path")
    if not target.parent.is_dir():
        raise InvalidInput(f"There is no folder {target.parent}.", "path")
    try:
        # Created new (never over a file) and readable by its owner only: it holds
        # OFFICIAL-SENSITIVE personal data.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{target} already exists: choose another name (an export never "
                           "overwrites a file).", "path") from None
    except OSError as error:
        raise InvalidInput(f"Cannot write {target}: {error.strerror or error}.", "path") \
            from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(export_case(store, ref, fmt, reason, include_people=include_people,
                                     now=now, saved_to=target, for_agency=for_agency))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def documents_folder() -> Path:
    """Where the app saves exports: the user's documents folder (made if missing)."""
    from platformdirs import user_documents_path

    folder = user_documents_path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InvalidInput(f"Cannot make the folder {folder}: {error.strerror or error}.",
                           "path") from None
    return folder


def new_path(folder: Path, ref: str, fmt: ExportFormat | str,
             now: datetime | None = None) -> Path:
    """A path in ``folder`` named by :func:`file_name` that no file has yet."""
    name = file_name(ref, fmt, now)
    candidate = folder / name
    stem, dot, suffix = name.rpartition(".")
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{dot}{suffix}"
        number += 1
    return candidate


def _read(store: Store, actor: Actor, ref: str, why: str, include_people: bool,
          now: datetime) -> CaseFile:
    detail = cases.case_detail(store, ref)
    people = cases.person_details(store, ref, why) if include_people else detail.parties
    return CaseFile(
        detail=detail,
        people=people,
        people_in_full=include_people,
        shares=partners.case_shares(store, ref),
        actions=enforcement.case_actions(store, detail.id),
        deadlines=enforcement.case_deadlines(store, detail.id),
        timeline=partners.timeline(store, ref),
        generated_by=actor.label if actor.is_local else
        f"{actor.full_name or actor.username} ({actor.username}, {actor.role_name})",
        generated_at=now,
        reason=why,
    )


def _for_partner(store: Store, actor: Actor, case_file: CaseFile,
                 agency: str) -> tuple[CaseFile, str]:
    """``case_file`` cut down to what a partner agency may see; refused if not shared."""
    with store.session() as session:
        partner = partners.find_agency(session, agency)
        audience = Actor(actor.username, Role.PARTNER, agency_id=partner.id,
                         agency_name=partner.name)
        if session.execute(readable_case_ids(audience).where(
                CaseShare.case_id == case_file.detail.id).limit(1)).first() is None:
            raise InvalidInput(f"{case_file.detail.ref} is not shared with {partner.name}: "
                               "share it first (choosing the people it discloses).", "agency")
        disclosed = disclosed_party_ids(session, audience, case_file.detail.id) or set()
        notes = partners.visible_notes(session, audience, case_file.detail.id)
    readable = {(n.written_at, n.text) for n in notes}
    detail = replace(case_file.detail, notes=notes,
                     parties=[p for p in case_file.detail.parties if p.id in disclosed])
    return replace(
        case_file, detail=detail, people=[p for p in case_file.people if p.id in disclosed],
        shares=[s for s in case_file.shares if s.agency_id == partner.id],
        timeline=[e for e in case_file.timeline
                  if e.kind != "note" or (e.at, e.text) in readable]), partner.name


# ---------------------------------------------------------------------------- the text
# Markdown and PDF say the same things in the same order: the sections below give each
# as a heading and its entries, each entry a first line and its (user-typed) text.


@dataclass(frozen=True)
class _Entry:
    head: str
    text: str = ""
    facts: tuple[str, ...] = ()


def _note_state(n: NoteView) -> str:
    if n.superseded_by_id:
        return "corrected by a later note"
    if n.supersedes_id:
        return "a correction of an earlier note"
    return ""


def _sections(f: CaseFile, esc: Callable[[str | None], str]) -> list[tuple[str, list[_Entry]]]:
    """The sections after the header; ``esc`` makes one line of user text safe to write."""
    d = f.detail
    people = []
    for p in f.people:
        facts = []
        if p.details_shown:
            facts += [f"Born: {format_date(p.date_of_birth) or 'not recorded'}",
                      f"Address: {esc(p.address) or 'not recorded'}",
                      f"Phone: {esc(p.phone) or 'not recorded'}"]
        people.append(_Entry(f"{p.role.label}: {esc(p.name)}"
                             + (" (vulnerable)" if p.vulnerable else ""),
                             p.notes if p.details_shown else "", tuple(facts)))
    incidents = [
        _Entry(f"{format_datetime(i.occurred_at)} · {i.incident_type.label} · {i.channel.label}",
               i.description,
               tuple(x for x in (f"Crime ref: {esc(i.crime_ref)}" if i.crime_ref else "",
                                 f"Location: {esc(i.location)}" if i.location else "")
                     if x))
        for i in d.incidents
    ]
    notes = [
        _Entry(f"{format_datetime(n.written_at)} · {esc(n.agency)} · {esc(n.author)}",
               n.text,
               tuple(x for x in (f"Seen by: {esc(n.seen_by)}",
                                 f"Status: {_note_state(n)}" if _note_state(n) else "") if x))
        for n in d.notes
    ]
    actions = []
    for a in f.actions:
        facts = [f"Stage: {a.stage_label}" + (" (ended)" if a.closed else ""),
                 f"Started: {format_datetime(a.started_at)}"]
        if a.ends_at:
            facts.append(f"Ends: {format_datetime(a.ends_at)}")
        if a.conduct:
            facts.append(f"Conduct: {esc(a.conduct)}")
        for s in a.steps:
            who = f" by {s.authority.label.lower()}" if s.authority else ""
            named = f" ({esc(s.authorised_by)})" if s.authorised_by else ""
            until = f", until {format_datetime(s.ends_at)}" if s.ends_at else ""
            extra = f": {esc(s.notes)}" if s.notes else ""
            facts.append(f"Step {format_datetime(s.occurred_at)}: {s.label}{who}{named}{until}"
                         f"{extra}")
        actions.append(_Entry(a.power.label, a.concerns, tuple(facts)))
    deadlines = [
        _Entry(f"{format_datetime(x.due_at)} · {esc(x.label)}",
               facts=(f"Law: {esc(x.source)}", f"Status: {x.status.label}"
                      + (f" ({esc(x.resolution)})" if x.resolution else "")))
        for x in f.deadlines
    ]
    timeline = [
        _Entry(f"{format_datetime(t.at)} · {esc(t.title)}"
               + (f" · {esc(t.who)}" if t.who else ""), t.text)
        for t in f.timeline
    ]
    return [
        ("People" + ("" if f.people_in_full else " (names only: details not exported)"),
         people),
        (f"Incidents ({len(incidents)})", incidents),
        (f"Partner notes ({len(notes)})", notes),
        (f"Enforcement actions ({len(actions)})", actions),
        (f"Deadlines ({len(deadlines)})", deadlines),
        (f"Timeline ({len(timeline)}, oldest first)", timeline),
    ]


def _header_facts(f: CaseFile, esc: Callable[[str | None], str]) -> list[str]:
    d = f.detail
    facts = [
        f"District: {d.district.label} ({d.district.value})",
        f"Category: {d.category.label}",
        f"Status: {d.status.label}",
        f"Risk: {d.risk.label}" + (" · hate-motivated" if d.hate_motivated else ""),
        f"Opened: {format_datetime(d.opened_at)} by {d.channel.label}",
        f"Owner: {esc(d.owner_name) or 'unallocated'}"
        + (f" ({esc(d.owner_collar)})" if d.owner_collar else ""),
        f"Location: {esc(f'{d.location} {d.postcode}'.strip()) or 'not recorded'}",
        f"Next review: {format_date(d.next_review) or 'none'}",
    ]
    if d.closure_reason:
        facts.append(f"Closed: {format_datetime(d.closed_at)} ({d.closure_reason.label})")
    facts.append("Shared with: " + (", ".join(f"{esc(s.agency)} (ISA {esc(s.isa_ref)})"
                                              for s in f.shares) or "no partner agency"))
    return facts


def _generated(f: CaseFile, esc: Callable[[str | None], str]) -> str:
    return f"Generated by {esc(f.generated_by)} at {format_datetime(f.generated_at)}"


# ---------------------------------------------------------------------------- Markdown

# Every ASCII punctuation character CommonMark or GitHub's Markdown gives a meaning to
# (emphasis, links, code, HTML, tables, headings, lists, maths): each is backslash-escaped,
# which CommonMark defines for any ASCII punctuation, so the text reads as typed.
_MD_SPECIAL = frozenset("\\`*_{}[]#+-!|<>&~=$")


def md_escape(text: str) -> str:
    """One line of user text as literal Markdown: nothing in it is markup or HTML."""
    out = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in visible(text))
    # "1." or "1)" at the start of a line begins an ordered list.
    digits = len(out) - len(out.lstrip("0123456789"))
    if digits and out[digits:digits + 1] in (".", ")"):
        out = out[:digits] + "\\" + out[digits:]
    # Leading spaces would make code blocks: keep them, as spaces that are not indentation.
    stripped = out.lstrip(" \t")
    return "\u00a0" * (len(out) - len(stripped)) + stripped


def _md_block(text: str, indent: str) -> list[str]:
    """Multi-line user text under a list item: each line escaped, hard line breaks."""
    lines = visible(text, keep_newlines=True).replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    out = []
    for i, line in enumerate(lines):
        escaped = md_escape(line)
        last = i == len(lines) - 1
        out.append(f"{indent}{escaped}" + ("" if last or not escaped else "  "))
    return out


def _md_line(text: str | None) -> str:
    return md_escape(one_line(text))


def render_markdown(f: CaseFile) -> bytes:
    d = f.detail
    lines = [f"**{MARKING}**", "", f"# Case {_md_line(d.ref)}", "",
             f"*{_generated(f, _md_line)}. Reason: {_md_line(f.reason)}.*", ""]
    lines += [f"- {fact}" for fact in _header_facts(f, _md_line)]
    lines += ["", "## Summary", ""]
    lines += _md_block(d.summary, "") or ["(none)"]
    for title, entries in _sections(f, _md_line):
        lines += ["", f"## {title}", ""]
        if not entries:
            lines.append("None recorded.")
        for e in entries:
            lines.append(f"- **{e.head}**")
            lines += [f"  - {fact}" for fact in e.facts]
            if e.text.strip():
                lines.append("")
                lines += _md_block(e.text, "  ")
                lines.append("")
    lines += ["", f"**{MARKING}**", ""]
    return "\n".join(lines).encode("utf-8")


# ---------------------------------------------------------------------------- JSON


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(type(value).__name__)


def _people_json(people: list[PartyView]) -> list[dict[str, Any]]:
    out = []
    for person in people:
        data = asdict(person)
        if not person.details_shown:
            data.update(address=None, phone=None, date_of_birth=None, notes=None)
        out.append(data)
    return out


def render_json(f: CaseFile) -> bytes:
    """Keys as ``case show --json`` has them, with the export's own facts beside them."""
    d = f.detail
    data = asdict(d)
    data["opened"] = data.pop("opened_at")
    data["owner"] = data.pop("owner_collar")
    data["parties"] = _people_json(f.people)
    data["notes"] = [{**asdict(n), "current": n.current, "seen_by": n.seen_by}
                     for n in d.notes]
    data["actions"] = [asdict(a) for a in f.actions]
    data["deadlines"] = [
        {"id": x.id, "ref": x.case_ref, "district": x.district, "kind": x.kind,
         "label": x.label, "source": x.source, "due": x.due_at, "status": x.status,
         "power": x.power, "pspo": x.pspo_title, "resolution": x.resolution or None}
        for x in f.deadlines
    ]
    data["shared_with"] = [{"agency": s.agency, "isa_ref": s.isa_ref, "shared_at": s.shared_at}
                           for s in f.shares]
    data["timeline"] = [asdict(t) for t in f.timeline]
    data["export"] = {"marking": MARKING, "generated_by": f.generated_by,
                      "generated_at": f.generated_at, "reason": f.reason,
                      "people_in_full": f.people_in_full}
    text = json.dumps(data, default=_json_default, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


# ---------------------------------------------------------------------------- PDF

# The PDF's core fonts cover Latin-1 only; these are the usual characters beyond it.
_PDF_FALLBACKS = {
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"',
    "\u201e": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...",
    "\u2022": "*", "\u20ac": "EUR", "\u2192": "->", "\u2190": "<-", "\u00a0": " ",
    "\u2424": "^J", "\u2421": "^?", "\ufffd": "?",
}


def pdf_text(text: str) -> str:
    """``text`` in Latin-1, for the core fonts: what cannot be encoded is replaced."""
    out = []
    for ch in visible(text, keep_newlines=True):
        if ord(ch) < 0x100:
            out.append(ch)
        elif ch in _PDF_FALLBACKS:
            out.append(_PDF_FALLBACKS[ch])
        elif 0x2400 <= ord(ch) < 0x2420:  # control pictures (literal.visible): ^[ for ESC
            out.append("^" + chr(ord(ch) - 0x2400 + 0x40))
        else:
            plain = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode(
                "latin-1")
            out.append(plain or "?")
    return "".join(out)


def render_pdf(f: CaseFile) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    footer_text = pdf_text(f"{f.detail.ref} · {_generated(f, one_line)}")

    class CasePdf(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", "B", 9)
            self.cell(0, 5, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(2)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("Helvetica", "", 7)
            self.cell(0, 4, footer_text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_font("Helvetica", "B", 8)
            self.cell(0, 4, f"{MARKING}    Page {self.page_no()} of {{nb}}", align="C")

    pdf = CasePdf(format="A4")
    pdf.set_title(f"Case {f.detail.ref}")
    pdf.set_creator("asbtui")
    pdf.set_author(pdf_text(f.generated_by))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    def write(text: str, size: float = 10, style: str = "", indent: float = 0) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(0, size * 0.5, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                       markdown=False)

    write(f"Case {f.detail.ref}", 16, "B")
    write(f"{_generated(f, one_line)}. Reason: {f.reason}.", 8, "I")
    pdf.ln(2)
    for fact in _header_facts(f, one_line):
        write(fact, 9)
    pdf.ln(2)
    write("Summary", 12, "B")
    write(f.detail.summary or "(none)", 10)
    for title, entries in _sections(f, one_line):
        pdf.ln(3)
        write(title, 12, "B")
        if not entries:
            write("None recorded.", 9, "I")
        for e in entries:
            pdf.ln(1)
            write(e.head, 10, "B")
            for fact in e.facts:
                write(fact, 9, indent=4)
            if e.text.strip():
                write(e.text.rstrip(), 9, indent=4)
    return bytes(pdf.output())


RENDERERS = {ExportFormat.PDF: render_pdf, ExportFormat.MD: render_markdown,
             ExportFormat.JSON: render_json}
