"""Reading a township plan's task list as the plan writes it. Nothing here touches the database.

Three written forms are read (the seeds in ../shared/seeds show them), plus the Excel form in
tasks_excel.py; all give `TaskRow`s and located `Problem`s:

- numbered paragraphs ("1.党建引领建强班子。……") followed by a "责任单位：…" / "责 任 人：…" block: the
  block applies to every task since the previous block (seed 001);
- numbered paragraphs under "（一）深入实施……工程" headings, each ending "（牵头单位：…；责任单位：…）"
  (seed 002, section "三、主要任务");
- a table copied out of Word: one cell per line, each starting with a tab, a blank line between rows,
  header 工作要点｜责任单位｜重点任务｜推进措施｜完成时限 (seed 003 附件2). A row with only 推进措施 and
  完成时限 continues the task above it (a cell merged across rows in the original).

Responsible parties "各村居", "各行政村", "各村（社区）", "各党总支" are not units: they fan the task out to
every village (or party branch) of the township.
"""

import calendar
import datetime
import re
from dataclasses import dataclass, field

from common.text import LONG_LIMIT, NOTE_LIMIT, check_text
from common.xlsx import Problem, file_problem

UNIT_SPLIT = re.compile(r"[、，,;；/\s]+")
VILLAGE_PARTIES = ("各村居", "各行政村", "各村（社区）", "各村(社区)", "各村（居）", "各社区", "各村")
BRANCH_PARTIES = ("各党总支", "各党总支书记")
STANDING = ("长期推进", "长期坚持", "常态化", "长期开展", "持续推进")
MONTH = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月")
RANGE = re.compile(
    r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月(?:份|底|末)?\s*[—–\-~～至到]+\s*(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月"
)
COLUMN_LABELS = {
    "key_point": "工作要点",
    "lead": "牵头单位",
    "units": "责任单位",
    "person": "责任人",
    "task": "重点任务",
    "measures": "推进措施",
    "deadline": "完成时限",
}

# key → (TaskRow attribute, limit): the model's CharField lengths, sane limits for its TextFields.
TEXT_LIMITS = {
    "key_point": ("key_point", 200),
    "task": ("task", NOTE_LIMIT),
    "measures": ("measures", LONG_LIMIT),
    "lead": ("lead_text", 300),
    "units": ("units_text", 300),
    "person": ("responsible_person", 300),
    "deadline": ("deadline_text", 500),
}
MAX_PASTED = 200_000


def check_lengths(rows, sheet, problems):
    """A problem for every cell past its limit (nothing is cut short and stored)."""
    for row in rows:
        for key, (attr, limit) in TEXT_LIMITS.items():
            value = getattr(row, attr) or ""
            if len(value) > limit:
                problems.append(
                    Problem(
                        sheet,
                        row.row,
                        COLUMN_LABELS[key],
                        f"长度不能超过 {limit} 个字（现有 {len(value)} 个）。",
                    )
                )


@dataclass
class TaskRow:
    row: int
    number: int
    key_point: str
    task: str
    measures: str = ""
    units_text: str = ""
    unit_names: list = field(default_factory=list)
    lead_text: str = ""
    lead_names: list = field(default_factory=list)
    fan_out: str = ""
    responsible_person: str = ""
    deadline_text: str = ""
    deadline: datetime.date | None = None
    ongoing: bool = False


def parse_deadline(text, year):
    """(date or None, ongoing) from a 完成时限 as written, in the plan's year unless it names one.

    "9月底前" → the month's last day; "10月15日前" → that day; "2022年4月—12月" → the end of the range;
    "每年12月底前…，其他常态化" → Dec 31 (a named month wins: it is the date the township follows);
    "长期推进" alone → no date, ongoing; anything else without a month → no date."""
    text = text or ""
    match = RANGE.search(text)
    if match:
        end_year = match.group(3) or match.group(1)
        y, month = (int(end_year) if end_year else year), int(match.group(4))
    else:
        match = MONTH.search(text)
        if not match:
            return None, any(word in text for word in STANDING)
        y, month = (int(match.group(1)) if match.group(1) else year), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= y <= 2100):
        return None, any(word in text for word in STANDING)
    last = calendar.monthrange(y, month)[1]
    day_match = re.search(rf"(?<!\d){month}\s*月\s*(\d{{1,2}})\s*日", text)
    day = int(day_match.group(1)) if day_match and 1 <= int(day_match.group(1)) <= last else last
    return datetime.date(y, month, day), False


def split_parties(text):
    """(unit names, fan_out) of a 责任单位 text: "镇纪检办、各村居" → (["镇纪检办"], "villages")."""
    names, fan_out = [], ""
    for name in UNIT_SPLIT.split(text or ""):
        if not name:
            continue
        if name in VILLAGE_PARTIES:
            fan_out = fan_out or "villages"
        elif name in BRANCH_PARTIES:
            fan_out = fan_out or "branches"
        elif name not in names:
            names.append(name)
    return names, fan_out


def make_row(*, row, number, key_point, task, measures, units_text, lead_text, person, deadline_text, year):
    unit_names, fan_out = split_parties(units_text)
    lead_names, lead_fan_out = split_parties(lead_text)
    deadline, ongoing = parse_deadline(deadline_text, year)
    return TaskRow(
        row=row,
        number=number,
        key_point=key_point,
        task=task,
        measures=measures,
        units_text=units_text,
        unit_names=unit_names,
        lead_text=lead_text,
        lead_names=lead_names,
        fan_out=fan_out or lead_fan_out,
        responsible_person=person,
        deadline_text=deadline_text,
        deadline=deadline,
        ongoing=ongoing,
    )


# ---- the written forms --------------------------------------------------------------------------

NUMBERED = re.compile(r"^\s*(\d{1,3})\s*[.．、]\s*(.+)$")
GROUP = re.compile(r"^\s*[（(][一二三四五六七八九十]+[)）]\s*\S")
SECTION = re.compile(r"^\s*[一二三四五六七八九十]+、")
DUTY = re.compile(r"[（(]\s*牵头单位\s*[:：](.*?)[；;，,]\s*责任单位\s*[:：](.*)[)）]\s*$")
UNITS_LINE = re.compile(r"^\s*责\s*任\s*单\s*位\s*[:：]\s*(.*)$")
PERSON_LINE = re.compile(r"^\s*责\s*任\s*人\s*[:：]\s*(.*)$")
HEADER_CELLS = ("工作要点", "责任单位", "重点任务", "推进措施", "完成时限")


def _title_and_rest(body):
    """ "强化班子建设。严把……" → ("强化班子建设", "严把……"): the heading sentence is the 重点任务."""
    head, sep, rest = body.partition("。")
    if not sep:
        return body.strip(), ""
    return head.strip(), rest.strip()


def parse_task_text(text, *, year):
    """(rows, problems) of a task list pasted or uploaded as text, in whichever written form it is."""
    # a BOM at the very start is what Notepad writes; anywhere else it is refused with the rest
    text, reason = check_text(
        (text or "").lstrip("\ufeff"), max_length=MAX_PASTED, multiline=True, strip=False
    )
    if reason:
        return [], [file_problem(f"任务清单{reason}")]
    if not text.strip():
        return [], [file_problem("任务清单中没有任务。")]
    lines = text.split("\n")
    if any(line.strip() == "工作要点" for line in lines) and "\t" in text:
        rows, problems = _parse_table(lines, year)
    elif "牵头单位" in text:
        rows, problems = _parse_duty_paragraphs(lines, year)
    else:
        rows, problems = _parse_blocks(lines, year)
    if not rows and not problems:
        problems.append(file_problem("未读到任务：请粘贴以“1.”等序号开头的任务，或附件中的任务清单表格。"))
    check_lengths(rows, "", problems)
    return rows, problems


def _parse_duty_paragraphs(lines, year):
    """Seed 002: 工程 headings, numbered tasks each ending with （牵头单位：…；责任单位：…）."""
    rows, problems, group, started = [], [], "", False
    for index, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if SECTION.match(stripped):
            if started and rows:
                break  # the next section (四、工作要求) ends the task list
            started = "任务" in stripped
            continue
        if GROUP.match(stripped):
            group = stripped
            continue
        numbered = NUMBERED.match(stripped)
        if not numbered:
            continue
        body = numbered.group(2).strip()
        duty = DUTY.search(body)
        if not duty:
            problems.append(
                Problem(
                    "",
                    index,
                    "牵头单位",
                    f"第{index}行任务“{body[:20]}…”末尾没有“（牵头单位：…；责任单位：…）”，无法确定牵头单位和责任单位。",
                )
            )
            continue
        task, measures = _title_and_rest(body[: duty.start()].strip())
        rows.append(
            make_row(
                row=index,
                number=int(numbered.group(1)),
                key_point=group,
                task=task,
                measures=measures,
                units_text=duty.group(2).strip(),
                lead_text=duty.group(1).strip(),
                person="",
                deadline_text="",
                year=year,
            )
        )
    return rows, problems


def _parse_blocks(lines, year):
    """Seed 001: numbered paragraphs; a 责任单位 / 责任人 block applies to the tasks since the last one."""
    rows, problems, pending, last_units = [], [], [], None
    for index, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        units = UNITS_LINE.match(stripped)
        person = PERSON_LINE.match(stripped)
        if units:
            last_units = units.group(1).strip()
            for row in pending:
                names, fan_out = split_parties(last_units)
                row.units_text, row.unit_names, row.fan_out = last_units, names, fan_out
            continue
        if person:
            if last_units is None:
                problems.append(Problem("", index, "责任人", f"第{index}行“责任人”前没有“责任单位”。"))
            for row in pending:
                row.responsible_person = person.group(1).strip()
            pending, last_units = [], None
            continue
        numbered = NUMBERED.match(stripped)
        if not numbered:
            continue
        if last_units is not None:  # a 责任单位 block without 责任人 closes the group as well
            pending, last_units = [], None
        task, measures = _title_and_rest(numbered.group(2))
        row = make_row(
            row=index,
            number=int(numbered.group(1)),
            key_point="",
            task=task,
            measures=measures,
            units_text="",
            lead_text="",
            person="",
            deadline_text="",
            year=year,
        )
        rows.append(row)
        pending.append(row)
    return rows, problems


def _table_rows(lines):
    """[(line number, [cells])] of a table copied from Word: a cell starts with a tab, a line without
    one continues the cell above, a blank line ends the row."""
    rows, cells, first = [], [], None
    for index, line in enumerate(lines, start=1):
        if line.startswith("\t"):
            cells.append(line[1:])
            first = first or index
        elif line.strip() == "" and not line.startswith("\t"):
            if cells:
                rows.append((first, cells))
            cells, first = [], None
        elif cells:
            cells[-1] = f"{cells[-1]}\n{line}"
        else:
            rows.append((index, [line]))  # a line outside the table (title, 附件 heading)
    if cells:
        rows.append((first, cells))
    return rows


def _parse_table(lines, year):
    """Seed 003 附件2: 工作要点 carried down while blank; a row with only 推进措施/完成时限 continues."""
    rows, problems, group, header = [], [], "", None
    for index, cells in _table_rows(lines):
        cells = [c.strip() for c in cells]
        if header is None:
            if [c for c in cells if c] == list(HEADER_CELLS):
                header = True
            continue
        if len(cells) == 1:
            if rows and cells[0].startswith("附件"):
                break
            continue
        if not any(cells):
            continue
        cells = (cells + [""] * 5)[:5] if len(cells) <= 5 else [*cells[:4], "\n".join(cells[4:])]
        key_point, units, task, measures, deadline = cells
        group = key_point or group
        if not task:
            if rows and not units and (measures or deadline):
                prev = rows[-1]
                prev.measures = "\n".join(x for x in (prev.measures, measures) if x)
                prev.deadline_text = "\n".join(x for x in (prev.deadline_text, deadline) if x)
                prev.deadline, prev.ongoing = parse_deadline(prev.deadline_text, year)
                continue
            problems.append(Problem("", index, "重点任务", f"第{index}行：重点任务不能为空。"))
            continue
        if not units:
            problems.append(
                Problem("", index, "责任单位", f"第{index}行任务“{task[:20]}”：责任单位不能为空。")
            )
        rows.append(
            make_row(
                row=index,
                number=len(rows) + 1,
                key_point=group,
                task=task,
                measures=measures,
                units_text=units,
                lead_text="",
                person="",
                deadline_text=deadline,
                year=year,
            )
        )
    if header is None:
        problems.append(
            file_problem("未找到任务清单表头（工作要点｜责任单位｜重点任务｜推进措施｜完成时限）。")
        )
    return rows, problems
