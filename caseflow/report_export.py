"""A report as an Excel workbook with Chinese headers, and as JSON (the CSV is in reports.py).

The workbook is what a contact centre files as its monthly or quarterly statistics (附件一
§7.1): a summary sheet with every figure, its numerator and denominator, its target and the
section of the standard that sets it, then the time limits, the statistics by category (per
month), by department and per agent.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from caseflow.domain import CaseType, WindowName
from caseflow.domain.case_types import CASE_TYPES, WINDOW_LABELS
from caseflow.reports import METRICS, TARGET_RULES, Report

CATEGORY_ZH = {
    "service": "服务",
    "product": "产品",
    "marketing": "营销",
    "policy": "政策",
    "network": "网络",
    "rules": "业务规则",
    "-": "未分类",
}
COMPARISON_ZH = {">=": "≥", "<": "<"}
PERCENT = "0.00%"


def _type_zh(value: str) -> str:
    try:
        return CASE_TYPES[CaseType(value)].label.zh
    except ValueError:
        return value


def _window_zh(value: str) -> str:
    try:
        return WINDOW_LABELS[WindowName(value)].zh
    except ValueError:
        return value


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], percent_cols=()):
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for col in percent_cols:  # 1-based column numbers holding rates
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = PERCENT
    for column in ws.columns:
        width = max(len(str(c.value or "")) for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(max(10, width * 2), 60)
    return ws


def _summary_rows(report: Report) -> list[list]:
    rows = []
    for m in METRICS:
        value = report.value(m.key)
        parts = Report.RATE_PARTS.get(m.key)
        numerator, denominator = (
            (report.value(parts[0]), report.value(parts[1])) if parts else ("", "")
        )
        target = TARGET_RULES.get(m.key)
        met = target.met(value) if target else None
        rows.append(
            [
                m.zh,
                m.en,
                value,
                numerator,
                denominator,
                f"{COMPARISON_ZH[target.comparison]} {target.threshold:g}" if target else "",
                target.source if target else "",
                {True: "达标", False: "未达标", None: ""}[met],
            ]
        )
    return rows


def report_xlsx(report: Report) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    period = [
        ["统计周期", report.label or "全部"],
        ["起（UTC）", report.since.isoformat() if report.since else ""],
        ["止（UTC）", report.until.isoformat() if report.until else ""],
    ]
    ws = _sheet(
        wb,
        "概要",
        ["指标", "Metric", "数值", "分子", "分母", "目标", "依据", "是否达标"],
        _summary_rows(report),
    )
    for row, m in enumerate(METRICS, start=2):
        if m.rate:
            ws.cell(row=row, column=3).number_format = PERCENT
    ws.append([])
    for line in period:
        ws.append(line)
    _sheet(
        wb,
        "目标依据",
        ["指标", "目标", "依据", "取值说明"],
        [
            [
                next(m.zh for m in METRICS if m.key == key),
                f"{COMPARISON_ZH[t.comparison]} {t.threshold:g}",
                t.source,
                t.reading,
            ]
            for key, t in TARGET_RULES.items()
        ],
    )
    _sheet(
        wb,
        "时限",
        ["业务类型", "时限环节", "已完成", "按时完成", "超时未完成", "按时率"],
        [
            [
                _type_zh(f.case_type),
                _window_zh(f.window),
                f.closed,
                f.on_time,
                f.breached_open,
                f.on_time_rate,
            ]
            for f in report.windows
        ],
        percent_cols=(6,),
    )
    _sheet(
        wb,
        "分类统计",
        ["月份", "业务类型", "类别", "受理量", "已办结", "已解决", "时限内解决"],
        [
            [
                c.month or report.label,
                _type_zh(c.case_type),
                CATEGORY_ZH.get(c.category, c.category),
                c.cases,
                c.decided,
                c.resolved,
                c.resolved_on_time,
            ]
            for c in report.categories
        ],
    )
    _sheet(
        wb,
        "部门",
        ["业务类型", "部门", "受理量"],
        [[_type_zh(t), d, n] for t, d, n in report.by_department],
    )
    _sheet(
        wb,
        "坐席",
        ["坐席", "处理量", "按时", "按时率", "满意", "基本满意", "不满意", "满意率", "重开"],
        [
            [
                a.agent,
                a.handled,
                a.on_time,
                a.on_time_rate,
                a.satisfied,
                a.basically_satisfied,
                a.unsatisfied,
                a.satisfaction_rate,
                a.reopened,
            ]
            for a in report.agents
        ],
        percent_cols=(4, 8),
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_json(report: Report) -> dict:
    """Every figure with its names, parts and target (and the target's source)."""
    figures = []
    for m in METRICS:
        value = report.value(m.key)
        parts = Report.RATE_PARTS.get(m.key)
        target = TARGET_RULES.get(m.key)
        figures.append(
            {
                "key": m.key,
                "zh": m.zh,
                "en": m.en,
                "value": value,
                "numerator": report.value(parts[0]) if parts else None,
                "denominator": report.value(parts[1]) if parts else None,
                "target": None
                if target is None
                else {
                    "comparison": target.comparison,
                    "threshold": target.threshold,
                    "source": target.source,
                    "reading": target.reading,
                    "met": target.met(value),
                },
            }
        )
    return {
        "period": report.label,
        "since": report.since,
        "until": report.until,
        "figures": figures,
        "windows": [{**vars(f), "on_time_rate": f.on_time_rate} for f in report.windows],
        "categories": [vars(c) for c in report.categories],
        "departments": [
            {"case_type": t, "department": d, "cases": n} for t, d, n in report.by_department
        ],
        "agents": [
            {**vars(a), "on_time_rate": a.on_time_rate, "satisfaction_rate": a.satisfaction_rate}
            for a in report.agents
        ],
    }
