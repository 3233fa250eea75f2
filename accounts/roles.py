"""What each role may do: one table, read by views, templates, the home page and the access tests.

Where an action is allowed, *which objects* it reaches is decided by the selectors (scope); this
table only answers "may this role do this kind of thing at all".
"""

from enum import StrEnum

from .models import Role


class Cap(StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"  # import/export villages, branches and units of a township
    UNITS_VIEW = "units.view"
    STANDARDS_VIEW = "standards.view"
    STANDARDS_MANAGE = "standards.manage"  # import, copy to a new version, edit unused versions
    USERS_VIEW = "users.view"
    AUDIT_VIEW = "audit.view"
    ADMIN_SITE = "admin.site"
    CAMPAIGN_VIEW = "campaign.view"  # the yearly campaigns and their progress, within the user's scope
    CAMPAIGN_MANAGE = "campaign.manage"  # create campaigns, set deadlines and targets, reopen a village
    CITY_SELECT = "city.select"  # decide on the 示范村 candidates of the city's townships
    LEDGER_VIEW = "ledger.view"  # monthly supervision ledgers and the compliance matrix, within scope
    LEDGER_SUBMIT = "ledger.submit"  # a responsible unit fills, uploads and submits its own ledger
    LEDGER_MANAGE = "ledger.manage"  # the township confirms deductions and turns problems into 整改
    RECTIFY_VIEW = "rectify.view"  # rectification items within scope
    RECTIFY_RESPOND = "rectify.respond"  # the village answers its own items with evidence
    RECTIFY_MANAGE = "rectify.manage"  # the township creates, verifies and closes items
    TASKS_VIEW = "tasks.view"  # the plan's task list and its progress
    TASKS_MANAGE = "tasks.manage"  # import and edit the task list
    TASKS_REPORT = "tasks.report"  # a responsible unit reports monthly progress on its tasks
    DASHBOARD_VIEW = "dashboard.view"  # the township and city dashboards (数据看板), within scope


ROLE_CAPS = {
    Role.VILLAGE_COMMITTEE: {
        Cap.ORG_VIEW,
        Cap.STANDARDS_VIEW,
        Cap.CAMPAIGN_VIEW,
        Cap.RECTIFY_VIEW,
        Cap.RECTIFY_RESPOND,
    },
    Role.VILLAGE_SUPERVISOR: {Cap.ORG_VIEW, Cap.STANDARDS_VIEW, Cap.CAMPAIGN_VIEW, Cap.RECTIFY_VIEW},
    Role.BRANCH_SECRETARY: {Cap.ORG_VIEW, Cap.STANDARDS_VIEW, Cap.CAMPAIGN_VIEW, Cap.RECTIFY_VIEW},
    Role.UNIT_STAFF: {
        Cap.ORG_VIEW,
        Cap.UNITS_VIEW,
        Cap.STANDARDS_VIEW,
        Cap.CAMPAIGN_VIEW,
        Cap.LEDGER_VIEW,
        Cap.LEDGER_SUBMIT,
        Cap.RECTIFY_VIEW,
        Cap.TASKS_VIEW,
        Cap.TASKS_REPORT,
    },
    Role.TOWNSHIP_REVIEWER: {
        Cap.ORG_VIEW,
        Cap.ORG_MANAGE,
        Cap.UNITS_VIEW,
        Cap.STANDARDS_VIEW,
        Cap.STANDARDS_MANAGE,
        Cap.USERS_VIEW,
        Cap.AUDIT_VIEW,
        Cap.CAMPAIGN_VIEW,
        Cap.CAMPAIGN_MANAGE,
        Cap.LEDGER_VIEW,
        Cap.LEDGER_MANAGE,
        Cap.RECTIFY_VIEW,
        Cap.RECTIFY_MANAGE,
        Cap.TASKS_VIEW,
        Cap.TASKS_MANAGE,
        Cap.DASHBOARD_VIEW,
    },
    Role.TOWNSHIP_LEADER: {
        Cap.ORG_VIEW,
        Cap.UNITS_VIEW,
        Cap.STANDARDS_VIEW,
        Cap.USERS_VIEW,
        Cap.CAMPAIGN_VIEW,
        Cap.LEDGER_VIEW,
        Cap.RECTIFY_VIEW,
        Cap.TASKS_VIEW,
        Cap.DASHBOARD_VIEW,
    },
    Role.CITY_OFFICE: {
        Cap.CITY_SELECT,
        Cap.ORG_VIEW,
        Cap.UNITS_VIEW,
        Cap.STANDARDS_VIEW,
        Cap.STANDARDS_MANAGE,
        Cap.USERS_VIEW,
        Cap.CAMPAIGN_VIEW,
        Cap.CAMPAIGN_MANAGE,
        Cap.LEDGER_VIEW,
        Cap.RECTIFY_VIEW,
        Cap.TASKS_VIEW,
        Cap.DASHBOARD_VIEW,
    },
    Role.ADMIN: set(Cap),
}

READ_ONLY_ROLES = {Role.TOWNSHIP_LEADER}
