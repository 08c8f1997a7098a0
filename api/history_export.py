"""A case's readable history for an audit: CSV (UTF-8 with a byte-order mark, so that Excel
opens the Chinese right) and XLSX, headers in the reader's language (zh-CN or en), times in
the policy's zone, arguments and results as JSON. The XLSX has a second sheet naming the case,
the runs (and where each was read from), the filters applied and when it was made."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from api.history_words import Words, describe
from api.readable_history import HistoryFilter, ReadableHistory
from caseflow.history.readable import ReadableEvent
from caseflow.i18n import N_

COLUMNS = (
    N_("history_export", "run"),
    N_("history_export", "event id"),
    N_("history_export", "time"),
    N_("history_export", "kind"),
    N_("history_export", "actor"),
    N_("history_export", "window"),
    N_("history_export", "event"),
    N_("history_export", "arguments"),
    N_("history_export", "result"),
    N_("history_export", "timeline #"),
)
ABOUT = {
    "sheet_events": N_("history_export", "history"),
    "sheet_about": N_("history_export", "about"),
    "case": N_("history_export", "case"),
    "timezone": N_("history_export", "time zone"),
    "generated": N_("history_export", "generated at"),
    "filters": N_("history_export", "filters"),
    "none": N_("history_export", "none"),
    "runs": N_("history_export", "runs"),
    "source_temporal": N_("history_export", "read from Temporal"),
    "source_stored": N_("history_export", "caseflow's stored copy"),
    "anonymised": N_("history_export", "anonymised"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _json(value: Any) -> str:
    if value in (None, {}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _row(e: ReadableEvent, w: Words) -> list[Any]:
    return [
        e.run,
        e.event_id,
        e.at.astimezone(w.zone).strftime("%Y-%m-%d %H:%M:%S"),
        w.kind(e.kind),
        w.actor(e.actor),
        ", ".join(w.window(x) for x in sorted(e.windows())),
        describe(e, w),
        _json(e.args),
        _json(e.result) or (e.failure or ""),
        ", ".join(str(r.seq) for r in e.recorded) or (e.timeline_seq or ""),
    ]


def _header(w: Words) -> list[str]:
    return [w.tr.pgettext("history_export", c) for c in COLUMNS]


def _about(w: Words, key: str) -> str:
    return w.tr.pgettext("history_export", ABOUT[key])


def history_csv(history: ReadableHistory, events: list[ReadableEvent], w: Words) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header(w))
    for e in events:
        writer.writerow(_row(e, w))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _filters(f: HistoryFilter, w: Words) -> str:
    parts = []
    if f.actor:
        parts.append(f"actor={f.actor}")
    if f.window:
        parts.append(f"window={f.window}")
    if f.kinds:
        parts.append("kind=" + ",".join(f.kinds))
    if f.since:
        parts.append(f"since={w.when(f.since)}")
    if f.until:
        parts.append(f"until={w.when(f.until)}")
    return "; ".join(parts) or _about(w, "none")


def history_xlsx(
    history: ReadableHistory, events: list[ReadableEvent], w: Words, f: HistoryFilter
) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _about(w, "sheet_events")
    ws.append(_header(w))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in events:
        ws.append(_row(e, w))
    widths = (6, 9, 20, 16, 16, 16, 70, 50, 40, 10)
    for column, width in zip(ws.columns, widths, strict=True):
        ws.column_dimensions[column[0].column_letter].width = width
        for cell in column[1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    about = wb.create_sheet(_about(w, "sheet_about"))
    for key, value in (
        ("case", history.case_id),
        ("timezone", w.zone.key),
        ("generated", datetime.now(UTC).astimezone(w.zone).strftime("%Y-%m-%d %H:%M:%S")),
        ("filters", _filters(f, w)),
    ):
        about.append([_about(w, key), value])
    about.append([])
    about.append([_about(w, "runs")])
    for run in history.runs:
        source = _about(w, f"source_{run.source}")
        if run.anonymised:
            source += f" ({_about(w, 'anonymised')})"
        about.append(
            [
                run.run,
                run.run_id,
                run.status or "",
                w.when(run.started_at),
                w.when(run.closed_at) if run.closed_at else "",
                source,
            ]
        )
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
