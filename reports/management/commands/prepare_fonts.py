"""Make the PDF forms' subset font ahead of the first PDF (a minute or two on a new machine)."""

import time

from django.core.management.base import BaseCommand

from reports.pdf.fonts import subset_fonts


class Command(BaseCommand):
    help = "生成 PDF 表单使用的精简字体（新机器上约需一两分钟；已生成时立即返回）。"

    def handle(self, *args, **options):
        started = time.monotonic()
        fonts = subset_fonts.load()
        took = time.monotonic() - started
        if fonts.files:
            names = "、".join(p.name for p in fonts.files.values())
            self.stdout.write(f"PDF 精简字体已就绪：{names}（{took:.1f} 秒）")
        else:
            self.stdout.write("未找到系统中文字体的精简来源：PDF 将使用完整字体（速度较慢，内容不受影响）。")
