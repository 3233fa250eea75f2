"""The demo's evidence files: real one-page PDFs (a 申请表 look-alike with a red "（演示）公章" circle, and a
bonus-evidence certificate), rendered once per process with WeasyPrint from a small HTML page.

Seeding stores the same few documents many times, so each is rendered once and its bytes are cached
(rendering one takes a few hundred milliseconds; a second call costs nothing). Every text in them says
it is demo material; no real person, stamp or place is shown.
"""

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape

STYLE = """
@page { size: A4; margin: 22mm 20mm; }
body { font-family: "Noto Serif CJK SC", serif; font-size: 11pt; color: #111; }
h1 { font-size: 17pt; font-weight: normal; text-align: center; margin: 0 0 4mm; letter-spacing: 1pt; }
.sub { text-align: center; color: #555; margin: 0 0 6mm; }
table { width: 100%; border-collapse: collapse; }
td, th { border: 0.6pt solid #333; padding: 2.2mm 2.5mm; vertical-align: top; }
th { width: 30%; font-weight: normal; background: #f3f3f3; text-align: left; }
.opinion { height: 26mm; }
.foot { margin-top: 10mm; position: relative; height: 42mm; }
.date { position: absolute; right: 58mm; top: 30mm; }
.stamp { position: absolute; right: 14mm; top: 0; width: 38mm; height: 38mm; border: 2.2pt solid #c8161d;
         border-radius: 50%; color: #c8161d; text-align: center; }
.stamp .star { font-size: 16pt; margin-top: 8mm; }
.stamp .name { font-size: 10pt; margin-top: 1mm; }
.stamp .demo { font-size: 9pt; margin-top: 1mm; }
.note { margin-top: 8mm; color: #777; font-size: 9pt; }
"""


@dataclass(frozen=True)
class DemoFile:
    content: bytes
    sha256: str

    @property
    def size(self):
        return len(self.content)


def _render(body):
    # Imported here: WeasyPrint takes a second to import, and every process loads this module (the
    # portal collects the demo seeders at start-up) while only seed_demo renders.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = f'<html lang="zh-CN"><head><meta charset="utf-8"><style>{STYLE}</style></head><body>{body}</body></html>'
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    content = HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
    return DemoFile(content=content, sha256=hashlib.sha256(content).hexdigest())


def _stamp(name):
    return (
        f'<div class="stamp"><div class="star">★</div><div class="name">{escape(name)}</div>'
        '<div class="demo">（演示）公章</div></div>'
    )


@lru_cache(maxsize=1)
def application_form_pdf():
    """《"清廉村居"建设申请表》 as a village would scan it after stamping: the form's rows, the 两委 and
    监委会 opinions, and the red stamp circle."""
    rows = [
        ("村（社区）名称", "演示村（虚构）"),
        ("所属镇街、党总支", "演示镇 · 演示党总支"),
        ("村党组织书记", "X某某"),
        ("村委会主任", "X某某"),
        ("村务监督委员会主任", "X某某"),
        ("户数 / 人口 / 党员数", "600 户 / 1900 人 / 52 名"),
        ("主要做法和成效", "坚持“四议两公开”，小微权力清单上墙公开；三资管理全部进入平台。（演示数据）"),
    ]
    table = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    body = (
        "<h1>“清廉村居”建设申请表</h1>"
        '<p class="sub">（演示材料，非真实文件）</p>'
        f"<table>{table}"
        '<tr><th>村“两委”意见</th><td class="opinion">同意申报。</td></tr>'
        '<tr><th>村务监督委员会意见</th><td class="opinion">情况属实，同意申报。</td></tr>'
        "</table>"
        f'<div class="foot">{_stamp("演示村民委员会")}<div class="date">年　　月　　日</div></div>'
        '<p class="note">本文件由演示数据生成，仅用于演示系统功能。</p>'
    )
    return _render(body)


@lru_cache(maxsize=16)
def bonus_evidence_pdf(item_name):
    """加分依据材料: a one-page certificate for the bonus item `item_name`, stamped."""
    body = (
        "<h1>加分依据材料</h1>"
        '<p class="sub">（演示材料，非真实文件）</p>'
        "<table>"
        f"<tr><th>加分项</th><td>{escape(item_name)}</td></tr>"
        "<tr><th>依据</th><td>获得表彰或经验做法被推广的文件、通报或证书复印件。（演示数据）</td></tr>"
        "<tr><th>情况说明</th><td>该村相关做法经镇街推荐，在全镇范围内交流推广。（演示数据）</td></tr>"
        "</table>"
        f'<div class="foot">{_stamp("演示单位")}<div class="date">年　　月　　日</div></div>'
        '<p class="note">本文件由演示数据生成，仅用于演示系统功能。</p>'
    )
    return _render(body)
