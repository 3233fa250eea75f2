"""The bare reference page of the latency benchmark (bench/dashboard_latency.py), served only under
config.settings.bench: a plain Django template rendering a 66-row table, with no database and no login.

Every heavy page is measured next to it in the same run, so that a figure reads as "0.5× what this
machine serves when a request costs only Django's request cycle and one template".
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.middleware import LoginRequiredMiddleware

BARE_PATH = "/bench/bare/"
ROWS = 66  # a township's villages in the sample data (7/33/13/13 of DOMAIN.md)
GRADES = ("示范村", "达标村", "提升村", "促进村")
FIRST = "东西南北中上下前后新"
SECOND = "庄河坡岭湾桥店屯营寨"


def bare_rows():
    """66 invented villages with a score and a grade: fixed arithmetic, no database."""
    rows = []
    for i in range(ROWS):
        score = 60 + (i * 37) % 40 + (i % 2) * 0.5
        grade = (
            GRADES[0]
            if score >= 93
            else GRADES[1]
            if score >= 80
            else GRADES[2]
            if score >= 70
            else GRADES[3]
        )
        rows.append(
            {
                "number": i + 1,
                "name": f"{FIRST[i // 10 % 10]}{SECOND[i % 10]}村",
                "branch": f"第{i // 8 + 1}党总支",
                "score": f"{score:.1f}",
                "grade": grade,
            }
        )
    return rows


@require_GET
def bare(request):
    return render(request, "bench/bare.html", {"rows": bare_rows()})


class BenchLoginRequiredMiddleware(LoginRequiredMiddleware):
    """The project's deny-by-default middleware, letting the anonymous bare page through (bench only)."""

    def __call__(self, request):
        if request.path == BARE_PATH:
            return self.get_response(request)
        return super().__call__(request)
