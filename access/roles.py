"""The vocabulary of access: roles, the node kind each role is held at, capabilities and sides."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    VILLAGE_COMMITTEE = "village_committee", "村两委成员"
    VILLAGE_SUPERVISOR = "village_supervisor", "村务监督委员会成员"
    BRANCH_SECRETARY = "branch_secretary", "党总支书记"
    UNIT_STAFF = "unit_staff", "责任单位工作人员"
    TOWNSHIP_REVIEWER = "township_reviewer", "镇纪委审核人员"
    TOWNSHIP_LEADER = "township_leader", "镇领导（只读）"
    CITY_OFFICE = "city_office", "市清廉村居办"
    ADMIN = "admin", "系统管理员"


# Which node of the tree each role is held at. The membership CheckConstraint and the membership service
# both read this table, so a role can never be attached to the wrong kind of node.
ROLE_NODE = {
    Role.VILLAGE_COMMITTEE: "village",
    Role.VILLAGE_SUPERVISOR: "village",
    Role.BRANCH_SECRETARY: "branch",
    Role.UNIT_STAFF: "unit",
    Role.TOWNSHIP_REVIEWER: "township",
    Role.TOWNSHIP_LEADER: "township",
    Role.CITY_OFFICE: "region",
    Role.ADMIN: None,
}
# What each role is for, in a sentence (the home page shows the user's). A {field} is filled by the home
# page from the open campaign of the user's township (self_deadline, submission_deadline, city_deadline,
# written 2025年6月25日) or from the township's settings (ledger_due_day); dates are never written here.
ROLE_HINTS = {
    Role.VILLAGE_COMMITTEE: "{self_deadline}前完成本村自评打分并上传佐证材料。",
    Role.VILLAGE_SUPERVISOR: "与村“两委”共同完成自评，并在{self_deadline}前对自评结果签署意见。",
    Role.BRANCH_SECRETARY: "{submission_deadline}前以党总支为单位报送所辖村的申请表和评分表。",
    Role.UNIT_STAFF: "每月{ledger_due_day}日前报送上月《日常监管台账》，无问题须零报告。",
    Role.TOWNSHIP_REVIEWER: "逐村初审打分定级，{city_deadline}前向市里报送示范村材料。",
    Role.TOWNSHIP_LEADER: "查看全镇建设进度、等次分布和日常监管情况（只读）。",
    Role.CITY_OFFICE: "接收各镇街报送的示范村材料并评选认定。",
    Role.ADMIN: "维护用户、角色授权和系统配置。",
}

NODE_KINDS = ("region", "township", "branch", "village", "unit")

# The anonymous reader is not a role anyone holds: it is the row of the table that applies to a
# request without a login (villagers opening a published page).
ANONYMOUS = "anonymous"


class Cap(StrEnum):
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"  # import/export villages, branches and units of a township
    UNITS_VIEW = "units.view"
    STANDARDS_VIEW = "standards.view"
    STANDARDS_MANAGE = "standards.manage"  # import, copy to a new version, edit unused versions
    USERS_VIEW = "users.view"
    USERS_MANAGE = "users.manage"  # accounts and role grants on nodes inside the holder's reach
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
    SUBTASKS_REPORT = "tasks.subtask_report"  # a village / 党总支 reports on its own share of a task
    DASHBOARD_VIEW = "dashboard.view"  # the township and city dashboards (数据看板), within scope
    REVIEW_SCORES_VIEW = "review_scores.view"  # review scores before the grades are confirmed
    # The home page opens with the dashboard's headline figures: for those whose work is to follow the
    # figures (township leadership, the city office), not for those who work through a queue.
    DASHBOARD_HOME = "dashboard.home"
    # Publication to villagers (issue 13): the published snapshot of a year is readable by everybody,
    # also without an account (the anonymous row grants it once the public pages exist).
    PUBLISHED_VIEW = "published.view"
    PUBLISH_MANAGE = "publish.manage"  # publish a year's results, correct (new version) and withdraw
    FEEDBACK_VIEW = "feedback.view"  # villagers' messages (群众意见) on the public cards, within scope
    FEEDBACK_MANAGE = "feedback.manage"  # answer or dismiss a message, or turn it into a 整改 item
    # The township's year-end summary (年度总结, issue 14): its figures and the .docx/PDF built from them,
    # for those who see the township whole
    SUMMARY_VIEW = "summary.view"
    # Build a document in the background (an export job: packages, rosters, ledgers' Excel, a village's
    # 档案, the 年度总结) and retry a failed one, whoever started it. Reading and downloading the finished
    # files needs only the capability of what they show: read-only roles download, they do not build.
    EXPORT_REQUEST = "export.request"


class Side(StrEnum):
    """The one vocabulary for the parties of a workflow, whatever the entity.

    For a village-level assessment the village's 两委 and 监委会 are SELF, the 党总支 is BRANCH, the
    township 纪委 is REVIEWER and the city office CITY; for a township-level one the township is SELF and
    the city REVIEWER. A rectification item is answered by SELF (the village) and verified by REVIEWER;
    a ledger or a task is kept by UNIT; MANAGER runs a campaign, a standard or a township's set-up;
    VIEWER sees what a township or city sees whole (leadership, dashboards, reports).
    """

    SELF = "self"
    COMMITTEE = "committee"  # a 两委 member signs for the committee
    SUPERVISOR = "supervisor"  # a 监委会 member signs for supervision
    BRANCH = "branch"
    UNIT = "unit"
    REVIEWER = "reviewer"
    CITY = "city"
    MANAGER = "manager"
    VIEWER = "viewer"
    LEADER = "leader"  # township leadership: reads the township's boards, changes nothing
    SYSTEM = "system"
