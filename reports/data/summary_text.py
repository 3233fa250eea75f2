"""The 年度总结 as a document: a title and sections of paragraphs and tables, in the documents' own
terms. The .docx, the PDF and the page lay out the same blocks, so the three say the same thing."""

from dataclasses import dataclass, field

from django.utils import timezone

from common.dates import cn_date
from ledgers.compliance import State
from villages.models import AnnualTarget

from .common import fmt

NEXT_STEPS_PLACEHOLDER = (
    "（请结合本镇实际填写下一步工作打算：如针对上述问题的整改措施、下一年度创建目标和重点任务等。）"
)


@dataclass
class Table:
    headers: list
    rows: list


@dataclass
class Subheading:
    sub: str


@dataclass
class Section:
    heading: str
    blocks: list = field(default_factory=list)  # str (a paragraph), Subheading or Table


@dataclass
class SummaryDocument:
    title: str
    sections: list


def _n(value):
    return "—" if value is None else str(value)


def _pct(value):
    return "—" if value is None else f"{value}%"


def _basic(s):
    sec = Section("一、基本情况")
    text = f"全镇（街道）共有参与清廉村居建设的村（社区）{s.villages}个。"
    if s.campaign is None:
        text += f"{s.year}年度未开展村级年度测评" + (
            f"（开展了{'、'.join(dict.fromkeys(r.kind for r in s.other_rounds))}，见“其他测评轮次”）。"
            if s.other_rounds
            else "。"
        )
    else:
        text += f"{s.year}年度测评（{s.campaign.name}）共有{s.assessed}个村（社区）参加，已完成初审{s.reviewed}个。"
        if s.confirmed_at:
            text += f"等次已于{cn_date(timezone.localtime(s.confirmed_at))}确认。"
        else:
            text += "等次尚未确认。"
        if s.city_decided:
            text += "市清廉村居办已作出认定，以下“现行等次”为市级认定后的等次。"
    pub = s.publication
    if pub.get("published"):
        text += f"测评结果已于{cn_date(timezone.localtime(pub['at']))}向村民公开（第{pub['version']}版）。"
    elif pub.get("versions"):
        text += "测评结果曾公开，现已撤回。"
    else:
        text += "测评结果尚未向村民公开。"
    sec.blocks.append(text)
    return sec


def _grades(s, sec):
    sec.blocks.append(Subheading("（一）测评等次与年度目标"))
    if s.campaign is None:
        sec.blocks.append(
            "本年度未开展村级年度测评，无年度等次结果"
            + ("；其他测评轮次的结果见“（八）其他测评轮次”。" if s.other_rounds else "。")
        )
        return
    if s.target_mode == AnnualTarget.Mode.SHARE:
        goal = f"{s.share_percent.normalize():f}%"
        sec.blocks.append(
            f"年度目标：达到清廉村居标准的村占比不低于{goal}{'（累计口径）' if s.cumulative else ''}；"
            f"现行等次达到标准的村{s.reached}个，占{_pct(s.share)}。"
        )
    elif not s.target_mode:
        sec.blocks.append(f"未设置{s.year}年度目标。")
    sec.blocks.append(
        Table(
            ["等次", "年度目标（个）", "镇街定级（个）", "现行等次（个）"],
            [[g.name, _n(g.target), str(g.township), str(g.in_force)] for g in s.grades]
            + [["合计参评", "", str(s.assessed), str(s.assessed)]],
        )
    )


def _dimensions(s, sec):
    sec.blocks.append(Subheading("（二）“五清”各维度平均得分"))
    if not s.dimensions or not s.reviewed:
        sec.blocks.append("尚无已完成初审的村，暂无维度平均得分。")
        return
    sec.blocks.append(
        Table(
            ["维度", "分值", "平均得分"],
            [
                [d.name, fmt(d.max_score), fmt(d.average) if d.average is not None else "—"]
                for d in s.dimensions
            ],
        )
    )


def _ledgers(s, sec):
    sec.blocks.append(Subheading("（三）日常监管台账报送"))
    t = s.ledgers
    sec.blocks.append(
        f"{s.ledger_units}个责任单位按月报送日常监管台账，按时报送率{_pct(s.ledger_rate)}"
        f"（按时{t.get(State.ON_TIME, 0)}次、零报告{t.get(State.ZERO, 0)}次、逾期{t.get(State.LATE, 0)}次、"
        f"未报{t.get(State.MISSING, 0)}次、未到期{t.get(State.NOT_DUE, 0)}次）。"
    )
    if s.late_units:
        sec.blocks.append(
            Table(
                ["责任单位", "逾期报送（次）", "未报（次）"],
                [[u.name, str(u.late), str(u.missing)] for u in s.late_units],
            )
        )


def _rectifications(s, sec):
    sec.blocks.append(Subheading("（四）问题整改"))
    total = s.rectification_totals
    sec.blocks.append(
        f"全年新增整改事项{total.opened}项，已销号{total.closed}项，逾期未销号{total.overdue}项。"
    )
    sec.blocks.append(
        Table(
            ["来源", "新增（项）", "已销号（项）", "逾期未销号（项）"],
            [[r.label, str(r.opened), str(r.closed), str(r.overdue)] for r in [*s.rectifications, total]],
        )
    )


def _tasks(s, sec):
    sec.blocks.append(Subheading("（五）重点任务推进"))
    t = s.tasks
    if not t.get("total"):
        sec.blocks.append("本年度实施方案未录入重点任务。")
        return
    sec.blocks.append(
        f"实施方案共列重点任务{t['total']}项，已完成{t['done']}项，推进中{t['in_progress']}项，"
        f"长期推进{t['ongoing']}项，未开始{t['not_started']}项，超过完成时限未完成{t['overdue']}项。"
    )
    sec.blocks.append(
        Table(
            ["状态", "任务数（项）"],
            [
                ["已完成", str(t["done"])],
                ["推进中", str(t["in_progress"])],
                ["长期推进", str(t["ongoing"])],
                ["未开始", str(t["not_started"])],
                ["逾期未完成", str(t["overdue"])],
            ],
        )
    )


def _batch(s, sec):
    sec.blocks.append(Subheading("（六）创建批次"))
    b = s.batch
    if not b:
        sec.blocks.append(f"创建计划中没有计划于{s.year}年达标的村。")
        return
    text = f"按创建计划，{s.year}年计划达标{len(b['planned'])}个村（{'、'.join(b['planned'])}）"
    if b["benchmark"]:
        text += f"，其中标杆村为{b['benchmark']}"
    if b["reached"] is None:
        text += "；本年度等次尚未确认，达标情况待定。"
    else:
        text += f"；已达到清廉村居标准{b['reached']}个。"
    sec.blocks.append(text)


def _rounds(s, sec):
    if not s.other_rounds:
        return
    sec.blocks.append(Subheading("（八）其他测评轮次"))
    rows = []
    for r in s.other_rounds:
        grades = "、".join(f"{name}{n}个" for name, n in r.grades) or "—"
        rows.append(
            [r.kind, r.name, str(r.villages), str(r.graded), "已确认" if r.confirmed else "未确认", grades]
        )
    sec.blocks.append(Table(["轮次", "名称", "参评村数", "已定级", "定级确认", "等次"], rows))


def _feedback(s, sec):
    sec.blocks.append(Subheading("（七）群众意见"))
    f = s.feedback
    sec.blocks.append(f"全年收到村民通过公开页面提交的群众意见{f['total']}条。")
    if f["total"]:
        sec.blocks.append(Table(["处理情况", "条数"], [[label, str(n)] for label, n in f["by_status"]]))


def summary_document(s):
    """The document of YearSummary `s`."""
    results = Section("二、主要做法和成效")
    for part in (_grades, _dimensions, _ledgers, _rectifications, _tasks, _batch, _feedback, _rounds):
        part(s, results)
    problems = Section("三、存在问题")
    lines = s.problems
    problems.blocks.extend(f"{i}. {line}" for i, line in enumerate(lines, 1))
    if not lines:
        problems.blocks.append("根据系统数据，本年度未发现未完成的目标、逾期整改或逾期台账。")
    plans = Section("四、下一步打算", [NEXT_STEPS_PLACEHOLDER])
    return SummaryDocument(
        title=f"{s.township.name}{s.year}年度清廉村居建设工作总结",
        sections=[_basic(s), results, problems, plans],
    )
