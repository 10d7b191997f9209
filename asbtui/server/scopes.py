"""Which scopes a row belongs to, and which scopes a user pulls.

A scope is ``force`` (officers, agencies, users, PSPOs: what every device needs), a
district (``district:THA``: its cases and everything on them), or a partner agency's share
(``agency:<id>``: the cases shared with it, and of those what a partner may read), or an
officer's cases outside their home district (``owner:<officer id>``), which a patrol device
holds besides its officers' districts unless enrolled without them.
"""

from __future__ import annotations

FORCE = "force"
DISTRICTS = ("ASH", "CAN", "DAR", "DOV", "FOL", "GRA", "MAI", "MED", "SEV", "SWA", "THA",
             "TON", "TUN")

# Reference data every device holds. PSPOs are here because enforcement actions on a
# shared case point at them.
FORCE_TABLES = frozenset({"officer", "agency", "app_user", "pspo", "pspoextension"})
# What a partner's device receives of a case shared with its agency. Its people too, but
# only those the share discloses (``asbtui.disclosure``, the rule the device's access
# checks follow): a person withheld, or no longer chosen, is removed from the partner's
# devices at their next sync, and stopping the share takes the whole case.
PARTNER_TABLES = frozenset({"case", "incident", "partnernote", "noteaudience",
                            "enforcementaction", "actionstep", "deadline", "casereview",
                            "caseshare"})
# Every table a device syncs (the device's tables that carry an ``origin``; a test holds
# the two lists equal). A push for any other table is refused whole.
SYNCED_TABLES = frozenset({
    "actionstep", "agency", "app_user", "case", "caselink", "casereview", "caseshare",
    "casetask", "conference", "conferenceattendee", "conferencecase", "correction",
    "deadline", "enforcementaction", "firstcontact", "importedincident", "incident",
    "lettertemplate", "noteaudience", "officer", "partnernote", "party", "problem",
    "problemcase", "problemresponse", "pspo", "pspoextension", "victimcontact",
    "victimupdateplan"})
# Fields where the newest write wins without a conflict: a PIN rehashed on first sign-in on
# two devices is not a disagreement anyone must settle.
LAST_WRITER_WINS = {"app_user": frozenset({"pin_hash"})}
STAMP_FIELDS = frozenset({"updated_at", "origin"})


def district_scope(district: str) -> str:
    return f"district:{district}"


def owner_scope(officer_id: str) -> str:
    return f"owner:{officer_id}"


def agency_scope(agency_id: str) -> str:
    return f"agency:{agency_id}"


def partner_may_read(table: str, data: dict, agency_id: str,
                     audience: frozenset[str] | set[str] = frozenset()) -> bool:
    """Of a shared case's rows, those a partner of ``agency_id`` may hold.

    ``audience``: for a note whose visibility is 'named', the agencies it names.
    """
    if table == "partnernote":
        visibility = data.get("visibility")
        return (data.get("agency_id") == agency_id or visibility == "all_partners"
                or (visibility == "named" and agency_id in audience))
    if table in ("caseshare", "noteaudience"):
        return data.get("agency_id") == agency_id
    return table in PARTNER_TABLES


def user_scopes(user: dict, device_districts: str = "", owned: bool = True) -> list[str]:
    """The scopes a user pulls on a device: their districts (limited to the device's, if
    set) and, with ``owned``, the cases they own in other districts."""
    role = user.get("role")
    scopes = [FORCE]
    limit = {d for d in device_districts.split(",") if d}
    if role in ("officer", "supervisor"):
        own = [d for d in (user.get("districts") or "").split(",") if d]
        scopes += [district_scope(d) for d in own if not limit or d in limit]
        if owned and user.get("officer_id"):
            scopes.append(owner_scope(str(user["officer_id"])))
    elif role == "partner" and user.get("agency_id"):
        scopes.append(agency_scope(user["agency_id"]))
    return scopes
