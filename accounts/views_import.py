"""Pages of the bulk user import: choose a township, download its template, upload the sheet.

A successful import that creates accounts answers with the slip sheet PDF itself: the one-time
passwords exist only in that response and are never stored (not in the database, not in the session).
"""

import logging

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from access.checks import deny, get_or_404, require_cap
from access.roles import Cap
from access.scope import scope_for
from common.downloads import XLSX, attachment_response
from common.forms import CleanTextMixin
from villages.models import Township

from .credentials import credentials_pdf
from .importing import GRANTABLE_LABELS, MAX_ROWS, user_import_excel, user_template_bytes

logger = logging.getLogger(__name__)


class UserImportForm(CleanTextMixin, forms.Form):
    file = forms.FileField(
        label="用户导入表",
        help_text="Excel 工作簿（.xlsx），格式与“下载模板”一致；任何一行有错误，整个文件都不会导入。",
        error_messages={"required": "请选择要导入的文件。", "empty": "文件为空。", "invalid": "文件无效。"},
    )


def importable_townships(user):
    """Townships where the user holds USERS_MANAGE (at the township, its region, or everywhere)."""
    return Township.objects.filter(scope_for(user).township_q(Cap.USERS_MANAGE)).order_by(
        "region__name", "name"
    )


def _township(request, pk):
    township = get_or_404(Township.objects.select_related("region"), pk)
    if not scope_for(request.user).reaches_township(Cap.USERS_MANAGE, township):
        deny(request, township, f"缺少权限 {Cap.USERS_MANAGE}")
    return township


@require_cap(Cap.USERS_MANAGE)
@require_GET
def choose(request):
    townships = list(importable_townships(request.user)[:500])
    if len(townships) == 1:
        return redirect("user_import:upload", pk=townships[0].pk)
    return render(request, "accounts/import/choose.html", {"townships": townships})


@require_cap(Cap.USERS_MANAGE)
@require_GET
def template(request, pk):
    township = _township(request, pk)
    return attachment_response(
        user_template_bytes(township),
        f"{township.name}用户导入模板.xlsx",
        fallback=f"users-{township.pk}-template.xlsx",
        content_type=XLSX,
    )


@require_cap(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def upload(request, pk):
    township = _township(request, pk)
    form = UserImportForm(request.POST, request.FILES) if request.method == "POST" else UserImportForm()
    result = None
    if request.method == "POST" and form.is_valid():
        result = user_import_excel(
            township=township, file=form.cleaned_data["file"], actor=request.user, request=request
        )
        if result.ok and result.accounts:
            try:
                pdf = credentials_pdf(
                    township=township, accounts=result.accounts, summary=result.summary(), request=request
                )
            except Exception:
                # The accounts exist but their passwords are gone with this request: say which accounts
                # need a password reset rather than fail with a bare 500.
                logger.exception("credentials slip sheet failed for township %s", township.pk)
                logins = "、".join(a.username for a in result.accounts[:50])
                more = f"等 {len(result.accounts)} 个" if len(result.accounts) > 50 else ""
                messages.error(
                    request,
                    f"导入完成（{result.summary()}），但账号通知单生成失败，一次性密码无法再显示。"
                    f"请为以下新账号重设密码：{logins}{more}。",
                )
                return redirect("user_import:upload", pk=township.pk)
            messages.success(
                request, f"导入完成：{result.summary()}。账号通知单已下载，一次性密码不会再次显示。"
            )
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return attachment_response(
                pdf,
                f"{township.name}账号通知单{stamp}.pdf",
                fallback=f"credentials-{township.pk}-{stamp}.pdf",
                content_type="application/pdf",
            )
        if result.ok:
            messages.success(request, f"导入完成：{result.summary()}。没有新建账号，无需打印通知单。")
    context = {
        "township": township,
        "form": form,
        "result": result,
        "roles": GRANTABLE_LABELS,
        "max_rows": MAX_ROWS,
    }
    return render(request, "accounts/import/upload.html", context)
