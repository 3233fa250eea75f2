import time

from django.core.management.base import BaseCommand

from assessments.readmodels import rebuild_read_models


class Command(BaseCommand):
    help = "重新计算数据看板使用的汇总数据（各维度得分、上年度等次、各测评轮次汇总）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--township", type=int, action="append", help="只重算这些镇街（可重复）")

    def handle(self, *args, township=None, **options):
        started = time.monotonic()
        n = rebuild_read_models(township_ids=township)
        self.stdout.write(
            self.style.SUCCESS(f"已重新计算{n}个测评轮次的汇总数据，用时{time.monotonic() - started:.1f}秒。")
        )
