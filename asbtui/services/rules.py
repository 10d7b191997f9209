"""Statutory periods and limits as dated rule data.

Each limit is a row with the date it takes effect and the provision it comes from. A
change in the law is a new row, not new code, and an action keeps the rules in force on
the day it started (``rule(key, on=started)``). Values that are local policy rather than
law (the ABC review, the PSPO renewal prompt) are marked ``local``.

Sources: Anti-social Behaviour, Crime and Policing Act 2014 ("ABCPA"); Sentencing Act 2020
("SA 2020") for criminal behaviour orders on convictions from 01/12/2020.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from asbtui.errors import InvalidInput

ACT_IN_FORCE = date(2014, 10, 20)  # Parts 1-6 of the 2014 Act commenced on 20/10/2014
SENTENCING_CODE = date(2020, 12, 1)


@dataclass(frozen=True)
class Rule:
    key: str
    value: int
    unit: str
    source: str
    effective_from: date = ACT_IN_FORCE
    local: bool = False
    """True for a local policy default rather than a statutory limit."""


RULES: tuple[Rule, ...] = (
    # Community protection (Part 4, Chapter 1)
    Rule("cpn_min_age", 16, "years", "ABCPA s43(1)"),
    Rule("cpn_appeal_days", 21, "days beginning with the day of issue", "ABCPA s46(2)"),
    Rule(
        "fpn_payment_days",
        14,
        "days following the date of the notice",
        "ABCPA s52(5) (CPN), s68(4) (PSPO)",
    ),
    Rule("fpn_max_pounds", 100, "pounds", "ABCPA s52(7), s68(6)"),
    # Who counts as a young person: the under-18 limits of Parts 1 and 2 (and the Code)
    Rule("adult_age", 18, "years", "ABCPA s1(6), s25(5); SA 2020 s334"),
    # Dispersal (Part 3)
    Rule("dispersal_authorisation_max_hours", 48, "hours", "ABCPA s34(2)"),
    Rule("dispersal_exclusion_max_hours", 48, "hours", "ABCPA s35(4)"),
    Rule("dispersal_min_age", 10, "years", "ABCPA s36(1)"),
    # Civil injunctions (Part 1)
    Rule("injunction_min_age", 10, "years", "ABCPA s1(1)"),
    Rule("injunction_youth_max_months", 12, "months", "ABCPA s1(6)"),
    # Criminal behaviour orders: the same limits moved into the Sentencing Code.
    Rule("cbo_youth_min_months", 12, "months", "ABCPA s25(5)"),
    Rule("cbo_youth_max_months", 36, "months", "ABCPA s25(5)"),
    Rule("cbo_adult_min_months", 24, "months", "ABCPA s25(5)"),
    Rule("cbo_youth_review_months", 12, "months", "ABCPA s28"),
    Rule("cbo_youth_min_months", 12, "months", "SA 2020 s334", SENTENCING_CODE),
    Rule("cbo_youth_max_months", 36, "months", "SA 2020 s334", SENTENCING_CODE),
    Rule("cbo_adult_min_months", 24, "months", "SA 2020 s334", SENTENCING_CODE),
    Rule("cbo_youth_review_months", 12, "months", "SA 2020 s337", SENTENCING_CODE),
    # Public spaces protection orders (Part 4, Chapter 2)
    Rule("pspo_max_years", 3, "years", "ABCPA s60(1)"),
    Rule("pspo_extension_max_years", 3, "years", "ABCPA s60(2)-(4)"),
    Rule("pspo_challenge_days", 42, "days beginning with the date made (6 weeks)", "ABCPA s66(3)"),
    Rule("pspo_renewal_prompt_months", 3, "months before expiry", "local policy", local=True),
    # Closure (Part 4, Chapter 3)
    Rule("closure_notice_max_hours", 24, "hours", "ABCPA s77(1)"),
    Rule(
        "closure_notice_senior_max_hours",
        48,
        "hours, Christmas Day disregarded",
        "ABCPA s77(2)-(3)",
    ),
    Rule("closure_extension_notice_max_hours", 24, "hours", "ABCPA s77(4)"),
    Rule(
        "closure_hearing_hours",
        48,
        "hours after service, Christmas Day disregarded",
        "ABCPA s80(3)-(4)",
    ),
    Rule("closure_order_max_months", 3, "months", "ABCPA s80(6)"),
    Rule("closure_adjournment_max_days", 14, "days", "ABCPA s81(3)"),
    Rule("closure_continuation_max_hours", 48, "hours", "ABCPA s81(2)"),
    Rule("closure_extension_max_months", 3, "months", "ABCPA s82(7)"),
    Rule("closure_order_total_max_months", 6, "months", "ABCPA s82(8)"),
    Rule("closure_appeal_days", 21, "days beginning with the date of the decision", "ABCPA s84(5)"),
    # ASB Case Review (Part 6): what makes a complaint qualifying, and the threshold range
    Rule(
        "case_review_complaint_months",
        1,
        "months beginning with the date of the behaviour",
        "ABCPA s104(11)(a)",
    ),
    Rule(
        "case_review_application_months",
        6,
        "months beginning with the date of the complaint",
        "ABCPA s104(11)(b)",
    ),
    Rule("case_review_threshold_min", 1, "qualifying complaints", "ABCPA s104(4)"),
    Rule("case_review_threshold_max", 3, "qualifying complaints", "ABCPA s104(4)"),
    # Informal measures (local policy)
    Rule("abc_review_months", 6, "months", "local policy", local=True),
    Rule("warning_review_days", 28, "days", "local policy", local=True),
)


def rule(key: str, on: date) -> Rule:
    """The rule ``key`` in force on ``on`` (the latest row that took effect by then)."""
    rows = [r for r in RULES if r.key == key and r.effective_from <= on]
    if not rows:
        raise InvalidInput(f"No rule '{key}' was in force on {on:%d/%m/%Y}.")
    return max(rows, key=lambda r: r.effective_from)


def value(key: str, on: date) -> int:
    return rule(key, on).value
