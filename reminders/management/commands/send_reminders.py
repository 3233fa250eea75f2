import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reminders.tasks import reminders_daily


class Command(BaseCommand):
    help = "生成当天的待办提醒（站内通知）并发送每人一封提醒邮件；同一天重复运行不会重复提醒。"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按指定日期运行（YYYY-MM-DD），默认今天（北京时间）")

    def handle(self, *args, **options):
        day = options["date"]
        if day:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{day}") from None
        r = reminders_daily(day)
        self.stdout.write(
            f"{r['day']}：应提醒事件 {r['events']} 条，新建提醒 {r['created']} 条；"
            f"邮件发送 {r['sent']} 封，失败 {r['failed']} 封，无邮箱跳过 {r['skipped']} 人。"
        )
