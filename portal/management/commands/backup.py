from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "备份：数据库的一致性快照（PostgreSQL 用 pg_dump，SQLite 用在线备份接口，含尚在 WAL 中的写入）、"
        "文件存储中的全部文件，以及带行数、审计链末条和每个文件 sha256 的清单，写入 --out 下新建的带时间戳的文件夹。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", required=True, help="备份存放目录（在其中新建 qinglian-backup-<时间> 文件夹）"
        )

    def handle(self, *args, out, **options):
        try:
            folder = backup(out, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"备份失败：{exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"备份已写入 {folder}"))
