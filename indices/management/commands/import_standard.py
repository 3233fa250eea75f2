"""manage.py import_standard PATH [--year Y] [--region NAME] [--township NAME] [--format yaml|xlsx]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indices.importing import FORMATS, format_for_name
from indices.services import StandardImportError, standard_import
from villages.models import Region, Township


def _score(value):
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Command(BaseCommand):
    help = "导入指数标准（YAML 或 Excel）：先校验整个文件，全部通过才写入。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="标准文件路径（.yaml/.yml/.xlsx）")
        parser.add_argument("--year", type=int, help="适用年度（文件中没有年度、版本号也不以年份开头时必填）")
        parser.add_argument("--region", help="发布单位（市/县/区）名称；不填为全局标准")
        parser.add_argument("--township", help="适用镇街名称（本地版本），须与 --region 同用")
        parser.add_argument("--format", choices=sorted(FORMATS), help="文件格式；默认按扩展名判断")

    def handle(self, *args, **options):
        path = Path(options["path"])
        fmt = options["format"] or format_for_name(path.name)
        if fmt is None:
            raise CommandError(f"无法从扩展名判断格式：{path.name}；请用 --format yaml 或 --format xlsx")
        region = township = None
        if options["region"]:
            region = Region.objects.filter(name=options["region"]).first()
            if region is None:
                raise CommandError(f"找不到市（县、区）“{options['region']}”")
        if options["township"]:
            if region is None:
                raise CommandError("使用 --township 时须同时指定 --region")
            township = Township.objects.filter(region=region, name=options["township"]).first()
            if township is None:
                raise CommandError(f"{region.name}下找不到镇街“{options['township']}”")
        try:
            standard = standard_import(
                source=path, fmt=fmt, actor=None, year=options["year"], region=region, township=township
            )
        except StandardImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"导入失败：共 {len(exc.problems)} 个问题，未写入任何内容。") from None
        self.stdout.write(self.style.SUCCESS(self.summary(standard)))

    def summary(self, standard):
        dims = list(standard.dimensions.order_by("sort_order"))
        indicators = standard.indicators.filter(parent__isnull=True).count()
        base = sum((d.max_score for d in dims), standard.total_base_score * 0)
        grades = "、".join(f"{g.name} ≥{_score(g.min_score)}" for g in standard.grades.order_by("rank"))
        owner = standard.township or standard.region or "全局"
        return "\n".join(
            [
                f"已导入：{standard.name}",
                f"  编码/版本：{standard.code} {standard.version}（{standard.get_level_display()}，{owner}）",
                f"  年度：{standard.year}年",
                f"  维度数：{len(dims)}（"
                + "、".join(f"{d.name} {_score(d.max_score)}" for d in dims)
                + "）",
                f"  指标数：{indicators}",
                f"  基础分合计：{_score(base)}",
                f"  加分上限：{_score(standard.bonus_total_cap)}",
                f"  日常监管扣分上限：{_score(standard.supervision_deduction_cap)}",
                f"  否决项：{standard.veto_items.count()} 项",
                f"  等次线：{grades}",
            ]
        )
