from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "从 backup 命令生成的文件夹恢复到空数据库和空文件存储：先核对清单和每个文件的校验值，"
        "恢复后比对各表行数、审计链末条并校验整条审计链，有差异时列出并以非零状态退出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="备份文件夹（含 manifest.json）")

    def handle(self, *args, folder, **options):
        try:
            restore(folder, progress=self.stdout.write)
        except BackupError as exc:
            raise CommandError(f"恢复失败：{exc}") from exc
        self.stdout.write(self.style.SUCCESS("恢复完成"))
