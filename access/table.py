"""THE access table. Every decision about who may see or do what is read from here.

1. CAPS — role × capability. A role reaches the node it is held at (ROLE_NODE) and everything below
   it: a village its own village; a 党总支 its villages; a responsible unit itself and the villages it
   supervises; a township role the whole township; the city office every township of its region; the
   administrator everything. Rows kept at township level (campaigns, tasks, a township's standards) are
   reached from any node inside the township. `ANONYMOUS` is the row for a request without a login.

2. SIDES — entity × side → the (role, path) pairs that make a user that side of one object: the user
   holds `role` at the node whose id `getattr`-walks from the object along `path` (a tuple of paths is
   tried in order, the first non-empty id wins). `ANYWHERE` means the role counts wherever it is held.
"""

from types import MappingProxyType

from .roles import ANONYMOUS, Cap, Role, Side

ANYWHERE = "*"

_VILLAGE_MEMBER = {Cap.ORG_VIEW, Cap.STANDARDS_VIEW, Cap.CAMPAIGN_VIEW, Cap.RECTIFY_VIEW, Cap.PUBLISHED_VIEW}

CAPS = MappingProxyType(
    {
        Role.VILLAGE_COMMITTEE: frozenset(_VILLAGE_MEMBER | {Cap.RECTIFY_RESPOND, Cap.SUBTASKS_REPORT}),
        Role.VILLAGE_SUPERVISOR: frozenset(_VILLAGE_MEMBER),
        Role.BRANCH_SECRETARY: frozenset(_VILLAGE_MEMBER | {Cap.SUBTASKS_REPORT}),
        Role.UNIT_STAFF: frozenset(
            _VILLAGE_MEMBER
            | {Cap.UNITS_VIEW, Cap.LEDGER_VIEW, Cap.LEDGER_SUBMIT, Cap.TASKS_VIEW, Cap.TASKS_REPORT}
        ),
        Role.TOWNSHIP_REVIEWER: frozenset(
            {
                Cap.ORG_VIEW,
                Cap.ORG_MANAGE,
                Cap.UNITS_VIEW,
                Cap.STANDARDS_VIEW,
                Cap.STANDARDS_MANAGE,
                Cap.USERS_VIEW,
                Cap.USERS_MANAGE,  # the township administrator (issue 11), by default its 纪委
                Cap.AUDIT_VIEW,
                Cap.CAMPAIGN_VIEW,
                Cap.CAMPAIGN_MANAGE,
                Cap.REVIEW_SCORES_VIEW,
                Cap.LEDGER_VIEW,
                Cap.LEDGER_MANAGE,
                Cap.RECTIFY_VIEW,
                Cap.RECTIFY_MANAGE,
                Cap.TASKS_VIEW,
                Cap.TASKS_MANAGE,
                Cap.DASHBOARD_VIEW,
                Cap.PUBLISHED_VIEW,
                Cap.PUBLISH_MANAGE,
                Cap.FEEDBACK_VIEW,
                Cap.FEEDBACK_MANAGE,
                Cap.SUMMARY_VIEW,
                Cap.EXPORT_REQUEST,
            }
        ),
        Role.TOWNSHIP_LEADER: frozenset(
            {
                Cap.ORG_VIEW,
                Cap.UNITS_VIEW,
                Cap.STANDARDS_VIEW,
                Cap.USERS_VIEW,
                Cap.CAMPAIGN_VIEW,
                Cap.REVIEW_SCORES_VIEW,
                Cap.LEDGER_VIEW,
                Cap.RECTIFY_VIEW,
                Cap.TASKS_VIEW,
                Cap.DASHBOARD_VIEW,
                Cap.DASHBOARD_HOME,
                Cap.PUBLISHED_VIEW,
                Cap.FEEDBACK_VIEW,
                Cap.SUMMARY_VIEW,
            }
        ),
        Role.CITY_OFFICE: frozenset(
            {
                Cap.CITY_SELECT,
                Cap.ORG_VIEW,
                Cap.UNITS_VIEW,
                Cap.STANDARDS_VIEW,
                Cap.STANDARDS_MANAGE,
                Cap.USERS_VIEW,
                Cap.USERS_MANAGE,  # creates townships' administrators in its region
                Cap.CAMPAIGN_VIEW,
                Cap.CAMPAIGN_MANAGE,
                Cap.REVIEW_SCORES_VIEW,
                Cap.LEDGER_VIEW,
                Cap.RECTIFY_VIEW,
                Cap.TASKS_VIEW,
                Cap.DASHBOARD_VIEW,
                Cap.DASHBOARD_HOME,
                Cap.PUBLISHED_VIEW,
                Cap.FEEDBACK_VIEW,
                Cap.SUMMARY_VIEW,
                Cap.EXPORT_REQUEST,
            }
        ),
        Role.ADMIN: frozenset(Cap),
        # The anonymous reader (a villager scanning a poster) reads published results only: the public
        # pages of publication/ declare it with `public_view`; everything else stays behind the login.
        ANONYMOUS: frozenset({Cap.PUBLISHED_VIEW}),
    }
)

# Roles whose holders only read (the home page says so).
READ_ONLY_ROLES = frozenset({Role.TOWNSHIP_LEADER})

S = Side
R = Role
SIDES = MappingProxyType(
    {
        # A village-level assessment; the node paths start at the Assessment row.
        "assessment.village": {
            S.SELF: ((R.VILLAGE_COMMITTEE, "village_id"), (R.VILLAGE_SUPERVISOR, "village_id")),
            S.COMMITTEE: ((R.VILLAGE_COMMITTEE, "village_id"),),
            S.SUPERVISOR: ((R.VILLAGE_SUPERVISOR, "village_id"),),
            S.BRANCH: ((R.BRANCH_SECRETARY, "village.branch_id"),),
            S.REVIEWER: ((R.TOWNSHIP_REVIEWER, "township_id"),),
            S.CITY: ((R.CITY_OFFICE, "campaign.region_id"),),
            # the 示范村申请表 fields and other township paperwork about the village
            S.MANAGER: ((R.TOWNSHIP_REVIEWER, "township_id"), (R.ADMIN, ANYWHERE)),
        },
        # A township scored by the city against the 镇街 standard.
        "assessment.township": {
            S.SELF: ((R.TOWNSHIP_REVIEWER, "township_id"),),
            S.REVIEWER: ((R.CITY_OFFICE, "campaign.region_id"),),
            S.MANAGER: ((R.CITY_OFFICE, "campaign.region_id"), (R.ADMIN, ANYWHERE)),
        },
        "campaign.village": {
            S.REVIEWER: ((R.TOWNSHIP_REVIEWER, "township_id"),),
            S.CITY: ((R.CITY_OFFICE, "region_id"),),
            S.MANAGER: ((R.TOWNSHIP_REVIEWER, "township_id"), (R.ADMIN, ANYWHERE)),
            S.LEADER: ((R.TOWNSHIP_LEADER, "township_id"),),
            S.VIEWER: (
                (R.TOWNSHIP_REVIEWER, "township_id"),
                (R.TOWNSHIP_LEADER, "township_id"),
                (R.CITY_OFFICE, "region_id"),
                (R.ADMIN, ANYWHERE),
            ),
        },
        "campaign.township": {
            S.REVIEWER: ((R.CITY_OFFICE, "region_id"),),
            S.MANAGER: ((R.CITY_OFFICE, "region_id"), (R.ADMIN, ANYWHERE)),
            S.VIEWER: ((R.CITY_OFFICE, "region_id"), (R.ADMIN, ANYWHERE)),
        },
        "rectification": {
            S.SELF: ((R.VILLAGE_COMMITTEE, "village_id"),),
            S.REVIEWER: ((R.TOWNSHIP_REVIEWER, "township_id"), (R.ADMIN, ANYWHERE)),
        },
        # A village's (or 党总支's) share of a plan task given to "各村居" / "各党总支"; paths from PlanSubTask.
        "plan_subtask": {
            S.SELF: ((R.VILLAGE_COMMITTEE, "village_id"), (R.BRANCH_SECRETARY, "branch_id")),
            S.REVIEWER: ((R.TOWNSHIP_REVIEWER, "task.township_id"), (R.ADMIN, ANYWHERE)),
        },
        "township": {
            S.REVIEWER: ((R.TOWNSHIP_REVIEWER, "pk"), (R.ADMIN, ANYWHERE)),
            S.LEADER: ((R.TOWNSHIP_LEADER, "pk"),),
            S.VIEWER: (
                (R.TOWNSHIP_REVIEWER, "pk"),
                (R.TOWNSHIP_LEADER, "pk"),
                (R.CITY_OFFICE, "region_id"),
                (R.ADMIN, ANYWHERE),
            ),
        },
        "region": {
            S.CITY: ((R.CITY_OFFICE, "pk"),),
            S.VIEWER: ((R.CITY_OFFICE, "pk"), (R.ADMIN, ANYWHERE)),
        },
        "branch": {S.BRANCH: ((R.BRANCH_SECRETARY, "pk"),)},
        "unit": {
            S.UNIT: ((R.UNIT_STAFF, "pk"),),
            S.REVIEWER: ((R.TOWNSHIP_REVIEWER, "township_id"), (R.ADMIN, ANYWHERE)),
        },
        "standard": {
            S.MANAGER: (
                (R.TOWNSHIP_REVIEWER, "township_id"),
                (R.CITY_OFFICE, ("region_id", "township.region_id")),
                (R.ADMIN, ANYWHERE),
            ),
        },
        "site": {S.MANAGER: ((R.ADMIN, ANYWHERE),)},
    }
)
