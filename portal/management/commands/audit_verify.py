"""manage.py audit_verify: walk the audit chain against its head and the external checkpoints."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify
from portal.integrity import verify_and_alert


class Command(BaseCommand):
    help = "校验审计日志哈希链（含链头与外部检查点）；不通过时退出码为 1。"

    def add_arguments(self, parser):
        parser.add_argument("--notify", action="store_true", help="不通过时向系统管理员发站内通知")

    def handle(self, *args, notify=False, **options):
        report = verify_and_alert() if notify else audit_verify()
        self.stdout.write(
            f"审计记录 {report.rows} 条（链至第 {report.last_seq} 条），外部检查点 {report.checkpoints} 个，"
            f"待封存 {report.pending} 条。"
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS("审计日志校验通过。"))
            return
        for problem in report.problems:
            self.stderr.write(f"  · {problem}")
        raise CommandError(f"审计日志校验未通过：{len(report.problems)} 处问题。")
