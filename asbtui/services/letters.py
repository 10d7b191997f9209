"""Letters and notices from a case's enforcement action: a warning letter, a Community
Protection Warning and a Community Protection Notice, as Markdown or PDF.

Each kind has a built-in template (Markdown with ``{placeholders}``) filled from the case
and its latest action of that power. An admin may replace a template with a local one;
a CPW or CPN template must keep the ``{statutory}`` placeholder, which carries the wording
the 2014 Act requires (for a CPN: what it requires, the consequence of failing to comply,
the right of appeal and its window), so no local template can drop it. Producing a letter
is audited (it discloses the case to its recipient).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from asbtui.dates import format_date, london_today, to_london, utc_now
from asbtui.errors import Forbidden, InvalidInput, NotFound
from asbtui.models import (
    ActionStep,
    Case,
    District,
    EnforcementAction,
    LetterTemplate,
    Party,
    Role,
)
from asbtui.services import audit
from asbtui.services.access import Permission, current, permits, require_district
from asbtui.services.refs import normalise_ref

if TYPE_CHECKING:
    from asbtui.db import Store

FORCE = "Kent Police"
TEMPLATE_MAX = 20000
# "Within 21 days" (s46(2)) runs beginning with the day of issue: day 21 is issue + 20.
CPN_APPEAL_DAYS = 21


class LetterKind(StrEnum):
    WARNING_LETTER = "warning_letter"
    CPW = "cpw"
    CPN = "cpn"

    @property
    def label(self) -> str:
        return {"warning_letter": "Warning letter", "cpw": "Community Protection Warning",
                "cpn": "Community Protection Notice"}[self.value]


class LetterFormat(StrEnum):
    MD = "md"
    PDF = "pdf"


STATUTORY: dict[LetterKind, str] = {
    LetterKind.CPW: (
        "## Written warning (section 43(5))\n\n"
        "This is a written warning under section 43(5) of the Anti-social Behaviour, Crime "
        "and Policing Act 2014. Your conduct is having a detrimental effect, of a persistent "
        "or continuing nature, on the quality of life of those in the locality, and it is "
        "unreasonable.\n\n"
        "If your conduct does not change by **{comply_by}**, a Community Protection Notice "
        "may be issued to you under section 43. Failing to comply with a Community "
        "Protection Notice is a criminal offence."),
    LetterKind.CPN: (
        "## What this notice requires (section 43)\n\n"
        "This Community Protection Notice is issued under section 43 of the Anti-social "
        "Behaviour, Crime and Policing Act 2014, because your conduct is having a "
        "detrimental effect, of a persistent or continuing nature, on the quality of life of "
        "those in the locality, and is unreasonable. You were given a written warning"
        "{warned_on} that this notice would be issued unless your conduct changed, and it "
        "has not changed.\n\n"
        "You are required to: **{requirements}**{comply_clause}\n\n"
        "## If you fail to comply (sections 48 and 52)\n\n"
        "Failing to comply with this notice without reasonable excuse is a criminal offence "
        "(section 48). You may be given a Fixed Penalty Notice (section 52), which must be "
        "paid within 14 days, or you may be prosecuted; on conviction the court may also "
        "order remedial work or the forfeiture of any item used in the conduct.\n\n"
        "## Your right of appeal (section 46)\n\n"
        "You may appeal against this notice to a magistrates' court within 21 days "
        "beginning with the day on which it was issued: by **{appeal_by}**. The notice's "
        "requirements to stop doing things apply while an appeal is pending."),
}

DEFAULT_TEMPLATES: dict[LetterKind, str] = {
    LetterKind.WARNING_LETTER: (
        "# Warning letter\n\n"
        "{force}, {district} Community Safety Unit · Reference {ref} · {issued_on}\n\n"
        "To: **{recipient}**\n\n"
        "We have received reports of anti-social behaviour: {conduct}.\n\n"
        "This letter is a warning. It is not a court order, but if the behaviour carries on "
        "we may use the powers of the Anti-social Behaviour, Crime and Policing Act 2014, "
        "which include a Community Protection Warning and Notice and a civil injunction.\n\n"
        "We will review the matter on or after {review_on}.\n\n"
        "{officer}, {force}\n"),
    LetterKind.CPW: (
        "# Community Protection Warning\n\n"
        "{force}, {district} Community Safety Unit · Reference {ref} · Issued {issued_on}\n\n"
        "To: **{recipient}**\n\n"
        "The conduct this warning is about: {conduct}\n\n"
        "You are asked to: **{requirements}**\n\n"
        "{statutory}\n\n"
        "Issued by {officer}, {force}\n"),
    LetterKind.CPN: (
        "# Community Protection Notice\n\n"
        "{force}, {district} Community Safety Unit · Reference {ref} · Issued {issued_on}\n\n"
        "To: **{recipient}**\n\n"
        "The conduct this notice is about: {conduct}\n\n"
        "{statutory}\n\n"
        "Issued by {officer}, {force}\n"),
}
POWER_FOR = {LetterKind.WARNING_LETTER: "warning_letter", LetterKind.CPW: "cpw",
             LetterKind.CPN: "cpn"}
FIELDS = frozenset({"force", "district", "ref", "issued_on", "recipient", "conduct",
                    "requirements", "review_on", "comply_by", "appeal_by", "officer",
                    "statutory"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def parse_kind(value: str | LetterKind) -> LetterKind:
    try:
        return LetterKind(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("The letter is warning_letter, cpw or cpn.", "kind") from None


def parse_format(value: str | LetterFormat) -> LetterFormat:
    try:
        return LetterFormat(str(value).strip().lower())
    except ValueError:
        raise InvalidInput("The format is pdf or md.", "format") from None


def check_template(kind: LetterKind, text: str) -> str:
    """A local template, checked: known placeholders only, and the statutory wording kept."""
    body = (text or "").strip()
    if not body:
        raise InvalidInput("The template is empty.", "template")
    if len(body) > TEMPLATE_MAX:
        raise InvalidInput(f"The template is too long (at most {TEMPLATE_MAX} characters).",
                           "template")
    unknown = sorted(set(_PLACEHOLDER.findall(body)) - FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown placeholders: {', '.join(unknown)}; use "
                           f"{', '.join(sorted(FIELDS))}.", "template")
    if kind in STATUTORY and "{statutory}" not in body:
        raise InvalidInput(f"A {kind.label} template must keep {{statutory}}: the wording "
                           "the Act requires.", "template")
    return body


def _require_admin(store: Store) -> str:
    actor = current(store)
    if not (actor.is_local or actor.role is Role.ADMIN):
        raise Forbidden("Only an admin may change letter templates.")
    return actor.username


@permits(Permission.MANAGE_USERS)  # admins (templates are the force's, like its users)
def set_template(store: Store, kind: str | LetterKind, text: str) -> None:
    """Replace a kind's template with a local one (checked first)."""
    who = _require_admin(store)
    letter = parse_kind(kind)
    body = check_template(letter, text)
    with store.session() as session:
        row = session.exec(select(LetterTemplate).where(
            LetterTemplate.kind == letter.value)).first() or LetterTemplate(
                kind=letter.value, text=body)
        row.text, row.updated_by, row.deleted = body, who, False
        session.add(row)
        session.flush()
        audit.record(session, store, current(store), audit.AuditAction.CHANGE,
                     "letter template", row.id, detail=letter.value)


@permits(Permission.MANAGE_USERS)
def reset_template(store: Store, kind: str | LetterKind) -> None:
    """Go back to the built-in template."""
    _require_admin(store)
    letter = parse_kind(kind)
    with store.session() as session:
        row = session.exec(select(LetterTemplate).where(
            LetterTemplate.kind == letter.value)).first()
        if row is None or row.deleted:
            raise InvalidInput(f"The {letter.label} already uses the built-in template.",
                               "kind")
        row.deleted = True
        session.add(row)
        audit.record(session, store, current(store), audit.AuditAction.DELETE,
                     "letter template", row.id, detail=letter.value)


def _template(session: Session, kind: LetterKind) -> tuple[str, bool]:
    row = session.exec(select(LetterTemplate).where(LetterTemplate.kind == kind.value,
                                                    ~LetterTemplate.deleted)).first()
    return (row.text, True) if row else (DEFAULT_TEMPLATES[kind], False)


@permits()  # a template holds no case data: admins and police read it alike
def template(store: Store, kind: str | LetterKind) -> tuple[str, bool]:
    """A kind's template and whether it is a local one."""
    with store.session() as session:
        return _template(session, parse_kind(kind))


@dataclass(frozen=True)
class Letter:
    kind: LetterKind
    ref: str
    markdown: str


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _latest(session: Session, case_id: str, power: str) -> EnforcementAction | None:
    return session.exec(select(EnforcementAction).where(
        EnforcementAction.case_id == case_id, EnforcementAction.power == power,
        ~EnforcementAction.deleted).order_by(EnforcementAction.started_at.desc())).first()


def _issued(session: Session, action: EnforcementAction) -> ActionStep | None:
    return session.exec(select(ActionStep).where(
        ActionStep.action_id == action.id, ActionStep.stage == "issued",
        ~ActionStep.deleted).order_by(ActionStep.occurred_at)).first()


@permits(Permission.WORK_CASES)
def produce(store: Store, ref: str, kind: str | LetterKind, *,
            today: date | None = None) -> Letter:
    """The letter filled from the case's latest action of that power (audited)."""
    actor = current(store)
    letter = parse_kind(kind)
    with store.session() as session:
        case = session.exec(select(Case).where(Case.ref == normalise_ref(ref),
                                               ~Case.deleted)).first()
        if case is None:
            raise NotFound(f"There is no case {ref.strip()}.")
        require_district(actor, case.district, "produce letters")
        action = _latest(session, case.id, POWER_FOR[letter])
        if action is None:
            raise InvalidInput(f"{case.ref} has no {letter.label.lower()} action: start one "
                               "first (e on the case).", "kind")
        step = _issued(session, action)
        issued = to_london(_aware(step.occurred_at if step else action.started_at)).date()
        subject = session.get(Party, action.subject_party_id) if action.subject_party_id \
            else None
        recipient = (subject.name if subject else "") or action.concerns or "The occupier"
        if subject is not None and subject.address:
            recipient += f", {subject.address}"
        comply = step.ends_at if step and step.ends_at else action.ends_at
        values = {
            "force": FORCE, "district": District(case.district).label, "ref": case.ref,
            "issued_on": format_date(issued), "recipient": recipient,
            "conduct": action.conduct or case.summary,
            "requirements": (step.notes if step and step.notes else action.notes)
            or "stop the conduct described above",
            "review_on": format_date((today or london_today()) + timedelta(days=28)),
            "comply_by": format_date(_aware(comply)) if comply else "the date given to you",
            "appeal_by": format_date(issued + timedelta(days=CPN_APPEAL_DAYS - 1)),
            "officer": actor.full_name or actor.username,
        }
        if letter is LetterKind.CPN:
            warning = _latest(session, case.id, "cpw")
            warned = _issued(session, warning) if warning else None
            values["warned_on"] = (f" on {format_date(_aware(warned.occurred_at))}"
                                   if warned else "")
            values["comply_clause"] = (f", by {values['comply_by']}." if comply else ".")
        statutory = STATUTORY.get(letter, "")
        values["statutory"] = _fill(statutory, values) if statutory else ""
        text, local = _template(session, letter)
        body = _fill(text, values)
        audit.record(session, store, actor, audit.AuditAction.EXPORT, "letter", action.id,
                     case_ref=case.ref,
                     detail=f"{letter.value}{' (local template)' if local else ''}")
        return Letter(letter, case.ref, body)


def _fill(text: str, values: dict[str, str]) -> str:
    # Placeholders are replaced one by one, so braces in the case's own text stay as typed.
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def render(letter: Letter, fmt: str | LetterFormat) -> bytes:
    """The letter as Markdown or PDF bytes."""
    if parse_format(fmt) is LetterFormat.MD:
        return (letter.markdown.rstrip() + "\n").encode("utf-8")
    return _pdf(letter)


def _pdf(letter: Letter) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    from asbtui.services.exporter import MARKING, pdf_text

    pdf = FPDF(format="A4")
    pdf.set_title(f"{letter.kind.label} {letter.ref}")
    pdf.set_creator("asbtui")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 5, MARKING, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for block in letter.markdown.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        size, style = 10.5, ""
        if block.startswith("# "):
            block, size, style = block[2:], 17, "B"
        elif block.startswith("## "):
            block, size, style = block[3:], 12, "B"
            pdf.ln(2)
        # The templates' only inline markup is **bold**; the rest is written as it stands.
        for index, part in enumerate(block.split("**")):
            pdf.set_font("Helvetica", "B" if index % 2 else style, size)
            pdf.write(size * 0.52, pdf_text(part))
        pdf.ln(size * 0.52)
        pdf.ln(3)
    return bytes(pdf.output())


@permits(Permission.WORK_CASES)
def save(store: Store, ref: str, kind: str | LetterKind, fmt: str | LetterFormat,
         folder: Path) -> Path:
    """Produce the letter and write it to a new file in ``folder``; returns its path."""
    letter = produce(store, ref, kind)
    data = render(letter, fmt)
    stamp = to_london(utc_now()).strftime("%Y%m%d-%H%M")
    target = folder / f"{letter.ref}-{letter.kind.value}-{stamp}.{parse_format(fmt).value}"
    number = 1
    while target.exists():
        number += 1
        target = target.with_name(f"{letter.ref}-{letter.kind.value}-{stamp}-{number}."
                                  f"{parse_format(fmt).value}")
    try:
        target.write_bytes(data)
    except OSError as error:
        raise InvalidInput(f"Could not write {target}: {error.strerror}.") from None
    return target
