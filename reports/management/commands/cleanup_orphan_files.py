"""Report (and with --delete remove) stored files without a row and stale temporary uploads (issue 15).

The logic is common.storage.orphan_cleanup; beat runs it daily as `reports.cleanup_orphan_files`."""

import datetime as dt

from django.core.management.base import BaseCommand

from common.storage import orphan_cleanup


class Command(BaseCommand):
    help = "列出（--delete 时删除）没有对应记录的已存文件和超过一天的临时上传文件"

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="删除列出的文件（默认只报告）")
        parser.add_argument(
            "--min-age-hours",
            type=float,
            default=1.0,
            help="只处理早于此时长的无主文件，以免误删尚未提交的上传（默认 1 小时）",
        )
        parser.add_argument(
            "--temp-age-hours", type=float, default=24.0, help="临时文件的最短存放时长（默认 24 小时）"
        )

    def handle(self, *args, delete=False, min_age_hours=1.0, temp_age_hours=24.0, **options):
        report = orphan_cleanup(
            delete=delete,
            min_age=dt.timedelta(hours=min_age_hours),
            temp_age=dt.timedelta(hours=temp_age_hours),
        )
        verb = "已删除" if delete else "发现"
        for rel in report.orphans:
            self.stdout.write(f"{verb}无主文件 {rel}")
        for path in report.temp_files:
            self.stdout.write(f"{verb}过期临时文件 {path}")
        self.stdout.write(
            f"{verb}无主文件 {len(report.orphans)} 个（{report.orphan_bytes} 字节），"
            f"过期临时文件 {len(report.temp_files)} 个（{report.temp_bytes} 字节）。"
        )
