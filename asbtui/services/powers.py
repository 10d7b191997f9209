"""The powers as state machines: which stage may follow which, and who may authorise it.

Each power of the 2014 Act is a small table of stages. A stage names the stages it may
follow (none: it starts the action), the authorities allowed to take it, whether it is a
court's decision, whether it ends the action, and the deadlines it meets or replaces. The
rules that need arithmetic (limits and the deadlines each step sets) are in
:mod:`asbtui.services.enforcement`, keyed by the same (power, stage).
"""

from __future__ import annotations

from dataclasses import dataclass

from asbtui.models import Authority, Power

A = Authority
POLICE = frozenset(
    {
        A.PCSO,
        A.CONSTABLE,
        A.SERGEANT,
        A.INSPECTOR,
        A.CHIEF_INSPECTOR,
        A.SUPERINTENDENT,
        A.CHIEF_SUPERINTENDENT,
    }
)
INSPECTOR_OR_ABOVE = frozenset(
    {A.INSPECTOR, A.CHIEF_INSPECTOR, A.SUPERINTENDENT, A.CHIEF_SUPERINTENDENT}
)
SUPERINTENDENT_OR_ABOVE = frozenset({A.SUPERINTENDENT, A.CHIEF_SUPERINTENDENT})
COUNCIL = frozenset({A.COUNCIL_OFFICER, A.COUNCIL_CHIEF_EXECUTIVE})
COURT = frozenset({A.COURT})
ANYONE = frozenset(Authority)
# CPW/CPN: a constable, a designated PCSO, the council or a designated housing provider (s53).
COMMUNITY_PROTECTION = POLICE | COUNCIL | {A.HOUSING_PROVIDER}


@dataclass(frozen=True)
class Stage:
    power: Power
    key: str
    label: str
    after: tuple[str, ...] = ()
    """Stages this one may follow; empty means it starts the action."""
    authorities: frozenset[Authority] = ANYONE
    ends_label: str = ""
    """What the step's end time means ("Comply by", "Order ends"); empty: no end time."""
    ends_required: bool = False
    closes: bool = False
    completes: tuple[str, ...] = ()
    """Deadline kinds this step meets."""
    supersedes: tuple[str, ...] = ()
    """Deadline kinds this step replaces (it sets new ones)."""

    @property
    def court(self) -> bool:
        return self.authorities == COURT

    @property
    def starts(self) -> bool:
        return not self.after


def _s(power: Power, key: str, label: str, **kw: object) -> Stage:
    return Stage(power, key, label, **kw)  # type: ignore[arg-type]


P = Power
STAGES: tuple[Stage, ...] = (
    # Informal: warning letter, Acceptable Behaviour Contract
    _s(P.WARNING_LETTER, "issued", "Letter sent", ends_label="Review by"),
    _s(
        P.WARNING_LETTER,
        "complied",
        "Behaviour stopped",
        after=("issued",),
        closes=True,
        completes=("warning_review",),
    ),
    _s(
        P.WARNING_LETTER,
        "breached",
        "Behaviour continued",
        after=("issued",),
        closes=True,
        completes=("warning_review",),
    ),
    _s(P.ABC, "signed", "Contract signed", ends_label="Review by"),
    _s(
        P.ABC,
        "reviewed",
        "Reviewed",
        after=("signed", "reviewed"),
        ends_label="Next review by",
        completes=("abc_review",),
    ),
    _s(
        P.ABC,
        "breached",
        "Contract broken",
        after=("signed", "reviewed"),
        closes=True,
        completes=("abc_review",),
    ),
    _s(
        P.ABC,
        "ended",
        "Ended",
        after=("signed", "reviewed"),
        closes=True,
        completes=("abc_review",),
    ),
    # Community Protection Warning and Notice (s43), FPN for breach (s52)
    _s(
        P.CPW,
        "issued",
        "Warning given",
        authorities=COMMUNITY_PROTECTION,
        ends_label="Comply by",
        ends_required=True,
    ),
    _s(
        P.CPW, "complied", "Complied", after=("issued",), closes=True, completes=("cpw_compliance",)
    ),
    _s(
        P.CPW,
        "not_complied",
        "Not complied with",
        after=("issued",),
        closes=True,
        completes=("cpw_compliance",),
    ),
    _s(
        P.CPN,
        "issued",
        "Notice issued",
        authorities=COMMUNITY_PROTECTION,
        ends_label="Comply by (optional)",
    ),
    _s(P.CPN, "appealed", "Appeal lodged", after=("issued",), completes=("cpn_appeal",)),
    _s(P.CPN, "appeal_dismissed", "Appeal dismissed", after=("appealed",), authorities=COURT),
    _s(
        P.CPN,
        "quashed",
        "Quashed on appeal",
        after=("appealed",),
        authorities=COURT,
        closes=True,
        completes=("cpn_compliance",),
    ),
    _s(
        P.CPN,
        "breached",
        "Breached",
        after=("issued", "appeal_dismissed", "breached"),
        completes=("cpn_compliance",),
    ),
    _s(
        P.CPN,
        "complied",
        "Complied",
        after=("issued", "appeal_dismissed"),
        closes=True,
        completes=("cpn_compliance", "cpn_appeal"),
    ),
    _s(P.FPN, "issued", "Fixed penalty given", authorities=COMMUNITY_PROTECTION),
    _s(P.FPN, "paid", "Paid", after=("issued",), closes=True, completes=("fpn_payment",)),
    _s(
        P.FPN,
        "prosecution",
        "Unpaid: prosecution",
        after=("issued",),
        closes=True,
        completes=("fpn_payment",),
    ),
    # Dispersal (s34-35)
    _s(
        P.DISPERSAL,
        "authorised",
        "Authorised",
        authorities=INSPECTOR_OR_ABOVE,
        ends_label="Authorisation ends",
        ends_required=True,
    ),
    _s(
        P.DISPERSAL,
        "direction_given",
        "Direction given",
        after=("authorised", "direction_given"),
        authorities=POLICE,
        ends_label="Exclusion ends",
        ends_required=True,
    ),
    _s(
        P.DISPERSAL,
        "ended",
        "Ended",
        after=("authorised", "direction_given"),
        closes=True,
        completes=("dispersal_authorisation", "dispersal_exclusion"),
    ),
    # Civil injunction (Part 1)
    _s(P.CIVIL_INJUNCTION, "applied", "Applied for"),
    _s(
        P.CIVIL_INJUNCTION,
        "granted",
        "Granted",
        after=("applied",),
        authorities=COURT,
        ends_label="Injunction ends",
    ),
    _s(
        P.CIVIL_INJUNCTION, "refused", "Refused", after=("applied",), authorities=COURT, closes=True
    ),
    _s(P.CIVIL_INJUNCTION, "breached", "Breached", after=("granted", "breached", "varied")),
    _s(
        P.CIVIL_INJUNCTION,
        "varied",
        "Varied",
        after=("granted", "breached", "varied"),
        authorities=COURT,
        ends_label="Injunction ends",
        supersedes=("injunction_expiry",),
    ),
    _s(
        P.CIVIL_INJUNCTION,
        "discharged",
        "Discharged",
        after=("granted", "breached", "varied"),
        authorities=COURT,
        closes=True,
        completes=("injunction_expiry",),
    ),
    _s(
        P.CIVIL_INJUNCTION,
        "expired",
        "Expired",
        after=("granted", "breached", "varied"),
        closes=True,
        completes=("injunction_expiry",),
    ),
    # Criminal Behaviour Order (ABCPA Part 2; Sentencing Act 2020 Part 11)
    _s(P.CBO, "applied", "Applied for on conviction", authorities=frozenset({A.PROSECUTOR})),
    _s(
        P.CBO,
        "made",
        "Order made",
        after=("applied",),
        authorities=COURT,
        ends_label="Order ends (blank: indefinite, adults only)",
    ),
    _s(P.CBO, "refused", "Refused", after=("applied",), authorities=COURT, closes=True),
    _s(
        P.CBO,
        "reviewed",
        "Annual review done",
        after=("made", "reviewed", "varied", "breached"),
        completes=("cbo_review",),
    ),
    _s(
        P.CBO,
        "varied",
        "Varied",
        after=("made", "reviewed", "varied", "breached"),
        authorities=COURT,
        ends_label="Order ends",
        supersedes=("cbo_review", "cbo_expiry"),
    ),
    _s(P.CBO, "breached", "Breached", after=("made", "reviewed", "varied", "breached")),
    _s(
        P.CBO,
        "discharged",
        "Discharged",
        after=("made", "reviewed", "varied", "breached"),
        authorities=COURT,
        closes=True,
        completes=("cbo_review", "cbo_expiry"),
    ),
    _s(
        P.CBO,
        "expired",
        "Expired",
        after=("made", "reviewed", "varied", "breached"),
        closes=True,
        completes=("cbo_review", "cbo_expiry"),
    ),
    # Closure notice and order (s76-86)
    _s(
        P.CLOSURE,
        "notice_issued",
        "Closure notice served",
        authorities=INSPECTOR_OR_ABOVE | COUNCIL,
        ends_label="Notice ends",
        ends_required=True,
    ),
    _s(
        P.CLOSURE,
        "notice_extended",
        "Notice extended",
        after=("notice_issued",),
        authorities=SUPERINTENDENT_OR_ABOVE | {A.COUNCIL_CHIEF_EXECUTIVE},
        ends_label="Notice now ends",
        ends_required=True,
        supersedes=("closure_notice_expiry",),
    ),
    _s(
        P.CLOSURE,
        "notice_cancelled",
        "Notice cancelled",
        after=("notice_issued", "notice_extended"),
        closes=True,
        completes=("closure_notice_expiry", "closure_hearing"),
    ),
    _s(
        P.CLOSURE,
        "hearing_adjourned",
        "Hearing adjourned",
        after=("notice_issued", "notice_extended", "notice_continued"),
        authorities=COURT,
        ends_label="Adjourned to",
        ends_required=True,
        completes=("closure_hearing",),
        supersedes=("closure_notice_expiry",),
    ),
    _s(
        P.CLOSURE,
        "notice_continued",
        "Notice continued by the court",
        after=("notice_issued", "notice_extended"),
        authorities=COURT,
        ends_label="Notice now ends",
        ends_required=True,
        completes=("closure_hearing",),
        supersedes=("closure_notice_expiry",),
    ),
    _s(
        P.CLOSURE,
        "order_granted",
        "Closure order granted",
        after=("notice_issued", "notice_extended", "hearing_adjourned", "notice_continued"),
        authorities=COURT,
        ends_label="Order ends",
        ends_required=True,
        completes=("closure_hearing", "closure_adjourned_hearing"),
        supersedes=("closure_notice_expiry",),
    ),
    _s(
        P.CLOSURE,
        "order_refused",
        "Closure order refused",
        after=("notice_issued", "notice_extended", "hearing_adjourned", "notice_continued"),
        authorities=COURT,
        closes=True,
        completes=("closure_hearing", "closure_adjourned_hearing", "closure_notice_expiry"),
    ),
    _s(
        P.CLOSURE,
        "order_extended",
        "Closure order extended",
        after=("order_granted", "order_extended", "breached"),
        authorities=COURT,
        ends_label="Order now ends",
        ends_required=True,
        supersedes=("closure_order_expiry",),
    ),
    _s(
        P.CLOSURE,
        "breached",
        "Breached (entry to closed premises)",
        after=(
            "notice_issued",
            "notice_extended",
            "notice_continued",
            "hearing_adjourned",
            "order_granted",
            "order_extended",
            "breached",
        ),
    ),
    _s(
        P.CLOSURE,
        "order_discharged",
        "Closure order discharged",
        after=("order_granted", "order_extended", "breached"),
        authorities=COURT,
        closes=True,
        completes=("closure_order_expiry",),
    ),
    _s(
        P.CLOSURE,
        "order_expired",
        "Closure order expired",
        after=("order_granted", "order_extended", "breached"),
        closes=True,
        completes=("closure_order_expiry",),
    ),
    # Breach of a Public Spaces Protection Order (s67); an FPN follows as its own action.
    _s(P.PSPO_BREACH, "recorded", "Breach recorded", authorities=POLICE | COUNCIL),
    _s(P.PSPO_BREACH, "prosecution", "Referred for prosecution", after=("recorded",), closes=True),
    _s(P.PSPO_BREACH, "resolved", "Resolved", after=("recorded",), closes=True),
)

DUTIES: frozenset[str] = frozenset(
    {
        "closure_hearing",  # s80(3): heard not later than 48 hours after service
        "closure_adjourned_hearing",  # s81: the hearing the court adjourned or continued to
        "cbo_review",  # SA 2020 s337 (ABCPA s28): the annual review of an under-18 CBO
        "abc_review",  # local policy
        "warning_review",  # local policy
    }
)
"""Deadline kinds that are a time to act by: a step that meets (or replaces) one after it
passed does not make it met. It is recorded as missed, with the time it was met late, and
the step needs the reason. The other kinds are ends (an order's expiry, an appeal window)
that a step after them simply follows."""

BY_KEY: dict[tuple[Power, str], Stage] = {(s.power, s.key): s for s in STAGES}


def stage(power: Power, key: str) -> Stage:
    return BY_KEY[(power, key)]


def first_stages(power: Power) -> list[Stage]:
    return [s for s in STAGES if s.power is power and s.starts]


def next_stages(power: Power, current: str, closed: bool) -> list[Stage]:
    if closed:
        return []
    return [s for s in STAGES if s.power is power and current in s.after]
