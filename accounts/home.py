"""The home page's "what can I do next" cards, per role. Each app adds its own entries here as it grows."""

from django.urls import reverse

from access.scope import scope_for

from .models import Role


def home_cards(user):
    scope = scope_for(user)
    cards = []

    def add(title, text, url, button="进入", urgent=False):
        cards.append({"title": title, "text": text, "url": url, "button": button, "urgent": urgent})

    for title, text, url in pending_work(user, scope):
        add(title, text, url, button="去办理", urgent=True)

    if scope.village_ids:
        from villages.models import Village

        for village in Village.objects.filter(pk__in=scope.village_ids).select_related("township"):
            add(
                f"本村：{village.name}",
                f"{village.township.name} · 查看本村基本信息、责任单位和所属党总支。",
                reverse("villages:village_detail", args=[village.pk]),
            )
    if scope.branch_ids:
        from villages.models import PartyBranch

        for branch in PartyBranch.objects.filter(pk__in=scope.branch_ids).select_related("township"):
            add(
                f"本党总支：{branch.name}",
                "查看本党总支所辖村（社区）及其情况。",
                reverse("villages:village_list") + f"?branch={branch.pk}",
            )
    if scope.branch_ids and scope.can("campaign.view"):
        from assessments.models import Campaign
        from villages.models import PartyBranch

        branches = list(PartyBranch.objects.filter(pk__in=scope.branch_ids).select_related("township"))
        newest = {}
        for c in Campaign.objects.filter(
            level=Campaign.Level.VILLAGE, township_id__in={b.township_id for b in branches}
        ).order_by("-year", "-pk"):
            newest.setdefault(c.township_id, c)
        for branch in branches:
            campaign = newest.get(branch.township_id)
            if campaign is not None:
                add(
                    f"本党总支报送：{branch.name}",
                    f"{campaign.year}年度：查看各村自评进度和未就绪原因，将已提交的村报送镇街。",
                    reverse("assessments:branch_board", args=[campaign.pk, branch.pk]),
                )
    if scope.unit_ids:
        from villages.models import ResponsibleUnit

        for unit in ResponsibleUnit.objects.filter(pk__in=scope.unit_ids):
            add(
                f"本单位：{unit.name}",
                "查看本单位监管的村（社区）和监管领域。",
                reverse("villages:unit_detail", args=[unit.pk]),
            )
    if scope.is_admin or scope.township_ids or scope.region_ids:
        add(
            "组织机构",
            "镇街、党总支、村（社区）、责任单位、工作专班和年度目标。",
            reverse("villages:township_list"),
        )
    if scope.can("org.manage"):
        add(
            "导入组织机构",
            "从 Excel 批量导入村（社区）、党总支和责任单位，逐行校验。",
            reverse("villages:township_list"),
        )
    if scope.can("campaign.view"):
        add(
            "测评年度",
            "各年度“清廉村居”测评：时间安排、自评与报送进度。",
            reverse("assessments:campaign_list"),
        )
    if scope.can("ledger.view"):
        add(
            "日常监管台账",
            "按月填报或上传《日常监管台账》，查看各责任单位按时、逾期、未报情况。",
            reverse("ledgers:ledger_list"),
        )
    if scope.can("standards.view"):
        add(
            "指数标准",
            "按年度查看村级、镇街指数标准：维度、指标、分值、加分项、否决项和等次。",
            reverse("indices:standard_list"),
        )
    if scope.can("standards.manage"):
        add(
            "导入指数标准",
            "从 YAML 或 Excel 导入新版本，校验通过后一次写入。",
            reverse("indices:standard_import"),
        )
    if scope.can("users.view") and (scope.is_admin or scope.township_ids or scope.region_ids):
        add("用户与角色", "查看本辖区用户及其角色授权。", reverse("accounts:user_list"))
    if scope.can("city.select"):
        add(
            "示范村市级评选",
            "各镇街报市的示范村候选村：认定为示范村，或认定为其他等次并说明理由。",
            reverse("assessments:city_board"),
        )
    if scope.can("audit.view"):
        add("审计日志", "登录、授权、导入、修改等操作记录。", reverse("audit:event_list"))
    if scope.is_admin:
        add("系统管理", "Django 管理后台（仅系统管理员）。", reverse("admin:index"))
    if not cards:
        add(
            "暂无可用功能",
            "您的账户尚未分配角色，请联系镇纪委或系统管理员。",
            reverse("accounts:password_change"),
            "修改密码",
        )
    return cards


ROLE_HINTS = {
    Role.VILLAGE_COMMITTEE: "每年6月25日前完成本村自评打分并上传佐证材料。",
    Role.VILLAGE_SUPERVISOR: "与村“两委”共同完成自评，并对自评结果签署意见。",
    Role.BRANCH_SECRETARY: "6月30日前以党总支为单位报送所辖村的申请表和评分表。",
    Role.UNIT_STAFF: "每月2日前报送上月《日常监管台账》，无问题须零报告。",
    Role.TOWNSHIP_REVIEWER: "逐村初审打分定级，7月10日前向市里报送示范村材料。",
    Role.TOWNSHIP_LEADER: "查看全镇建设进度、等次分布和日常监管情况（只读）。",
    Role.CITY_OFFICE: "接收各镇街报送的示范村材料并评选认定。",
    Role.ADMIN: "维护用户、角色授权和系统配置。",
}


def role_hints(user):
    scope = scope_for(user)
    return [(Role(r).label, ROLE_HINTS[Role(r)]) for r in sorted(scope.roles)]


def pending_work(user, scope):
    """Work waiting for this user right now, first on the home page (a fixed number of queries)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from assessments.models import Assessment
    from ledgers.models import Rectification

    items = []
    if scope.village_ids:
        open_states = [Assessment.Status.DRAFT, Assessment.Status.RETURNED]
        mine = Assessment.objects.filter(
            village_id__in=scope.village_ids,
            status__in=open_states,
            campaign__grades_confirmed_at__isnull=True,
        ).select_related("campaign", "village")
        for a in mine:
            deadline = a.campaign.self_deadline
            due = f"，自评截止 {deadline.year}年{deadline.month}月{deadline.day}日" if deadline else ""
            if a.status == Assessment.Status.RETURNED:
                items.append(
                    (
                        f"{a.village.name}{a.campaign.year}年度自评已退回",
                        f"请按退回理由修改后重新提交{due}。",
                        reverse("assessments:assessment_detail", args=[a.pk]),
                    )
                )
            else:
                items.append(
                    (
                        f"填报{a.village.name}{a.campaign.year}年度自评",
                        f"逐项自评、上传佐证和盖章申请表，两委与监委会签署后提交{due}。",
                        reverse("assessments:self_edit", args=[a.pk]),
                    )
                )
        open_items = Rectification.objects.filter(
            village_id__in=scope.village_ids, status=Rectification.Status.OPEN
        ).count()
        if open_items:
            items.append(
                (
                    f"{open_items} 项整改事项待反馈",
                    "说明整改情况并上传佐证材料，提交镇街验收。",
                    reverse("ledgers:rectification_list") + "?status=open",
                )
            )
    reviewer_towns = scope.nodes(Role.TOWNSHIP_REVIEWER)
    if reviewer_towns:
        waiting = (
            Assessment.objects.filter(township_id__in=reviewer_towns, campaign__level="village")
            .values("campaign_id", "campaign__name")
            .annotate(n=Count("id", filter=Q(status=Assessment.Status.FORWARDED)))
            .filter(n__gt=0)
        )
        for row in waiting:
            items.append(
                (
                    f"{row['n']} 个村待初审",
                    f"{row['campaign__name']}：各党总支已报镇街的村。",
                    reverse("assessments:campaign_detail", args=[row["campaign_id"]]) + "?status=forwarded",
                )
            )
        responded = Rectification.objects.filter(
            township_id__in=reviewer_towns, status=Rectification.Status.RESPONDED
        ).count()
        if responded:
            items.append(
                (
                    f"{responded} 项整改待验收",
                    "村里已反馈整改情况，请核实后销号或退回。",
                    reverse("ledgers:rectification_list") + "?status=responded",
                )
            )
    unit_ids = scope.nodes(Role.UNIT_STAFF)
    if unit_ids:
        from ledgers.compliance import LEDGER_START_MONTH
        from ledgers.models import LedgerSubmission
        from villages.models import ResponsibleUnit

        today = timezone.localdate()
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        if month >= LEDGER_START_MONTH:
            done = set(
                LedgerSubmission.objects.filter(
                    unit_id__in=unit_ids, year=year, month=month, submitted_at__isnull=False
                ).values_list("unit_id", flat=True)
            )
            for unit in (
                ResponsibleUnit.objects.filter(pk__in=unit_ids)
                .exclude(pk__in=done)
                .select_related("township")
            ):
                items.append(
                    (
                        f"报送{unit.name}{year}年{month}月台账",
                        f"每月{unit.township.ledger_due_day}日前报送上月台账，本月无问题须零报告。",
                        reverse("ledgers:ledger_edit", args=[unit.pk, year, month]),
                    )
                )
    return items
