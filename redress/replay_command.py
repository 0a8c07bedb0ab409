"""`redress replay POLICY CASES`: what a policy would have done to every historic case.

Every row read is accounted for: `cases` equals the sum of the statuses, invalid rows are reported
with their row number and reason (and written verbatim to --rejects), and money totals are exact.
"""

from __future__ import annotations

import csv
import io
import json
import os
from contextlib import ExitStack

from dsl.currency import format_money
from qa.casefiles import CaseFileError, open_cases
from qa.bulk_engines import EngineUnavailable, replay_engine
from qa.replay import STATUSES, Tally, outcome_json
from redress.inputs import load_checked_policy
from redress.outcome_files import RowWriter
from redress.policy_cache import remembered_sql
from redress.output import ExitCode, emit, emit_json, fail, say, warn
from redress.progress import Progress

OUT_COLUMNS = ["row", "id", "status", "rule", "floor", "ceiling", "open_at", "approver", "offered", "over_by", "under_by", "reason"]
FAILABLE = ("over", "under", "invalid", "no_rule")
TAIL_BYTES = 1 << 16


def parse_fail_on(text: str | None) -> set[str]:
    if not text:
        return set()
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    unknown = wanted - set(FAILABLE)
    if unknown:
        fail(f"--fail-on: unknown status {', '.join(sorted(unknown))}; choose from {', '.join(FAILABLE)}")
    return wanted


def truncated_last_line(case_file, path: str) -> str | None:
    """A CSV or JSON Lines file cut off in the middle of its last row (an export or a copy that did
    not finish): the last line has no line break and cannot be read on its own. That row is counted
    as invalid like any other, but the run must not pass as complete: the message, or None."""
    if path == "-" or case_file.format not in ("csv", "jsonl"):
        return None
    try:
        with open(path, "rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            stream.seek(max(0, size - TAIL_BYTES))
            tail = stream.read()
            if not tail or tail.endswith((b"\n", b"\r")) or (b"\n" not in tail and size > TAIL_BYTES):
                return None
            stream.seek(0)
            line = 1 + sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
    except OSError:
        return None
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    if case_file.format == "jsonl":
        try:
            json.loads(last)
            return None
        except ValueError:
            pass
    else:
        try:
            cells = next(csv.reader([last], strict=True), [])
        except csv.Error:
            cells = []
        if len(cells) >= len(case_file.columns or ()):
            return None
    return f"{case_file.path}:{line}: the file ends in the middle of this row; it looks truncated"


def run_replay(policy_path: str, cases_path: str, input_format: str | None, engine_kind: str, workers: int,
               output_format: str, out_path: str | None, rejects_path: str | None, fail_on: set[str],
               spark_master: str | None = None) -> int:
    checked = load_checked_policy(policy_path)
    policy = checked.policy
    tally = Tally()
    try:
        replay, fallback = replay_engine(checked.source, policy_path, engine_kind, workers, spark_master, policy,
                                         remembered_sql)
    except EngineUnavailable as error:
        fail(str(error))
    if fallback:
        warn(fallback)
        engine_kind = "compiled"
    try:
        with ExitStack() as stack:
            case_file = stack.enter_context(open_cases(cases_path, input_format))
            out = stack.enter_context(RowWriter(out_path, OUT_COLUMNS)) if out_path else None
            rejects = stack.enter_context(RowWriter(rejects_path, ["row", "reason", "text", *(case_file.columns or [])])) if rejects_path else None
            progress = stack.enter_context(Progress("replay", fraction=case_file.fraction_read))
            for batch in replay.batches(case_file, keep_outcomes=out is not None or rejects is not None):
                tally.merge(batch.tally)
                progress.tick(batch.rows)
                for outcome in batch.outcomes or ():
                    if out is not None:
                        out.write(outcome_json(outcome))
                    if rejects is not None and outcome.status == "invalid":
                        rejects.write({"row": outcome.row, "reason": outcome.reason, "text": outcome.text, **(outcome.data or {})})
    except (CaseFileError, EngineUnavailable) as error:
        fail(str(error))
    for note in getattr(replay, "notes", ()):  # only the Spark engine has any
        warn(note)
    if replay.extra_columns:
        warn(f"extra columns kept but not used by the policy: {', '.join(replay.extra_columns)}")
    summary = tally.to_json() | {"policy": policy.name, "version": policy.version, "digest": policy.digest,
                                 "currency": policy.currency, "source": cases_path, "extra_columns": list(replay.extra_columns),
                                 "engine": engine_kind, "seconds": round(progress.elapsed, 3)}
    _report(summary, tally, output_format, policy.currency)
    if tally.status["invalid"] and not rejects_path and output_format == "text":
        say(f"{tally.status['invalid']:,} invalid rows; `--rejects FILE` keeps them with their reasons")
    truncated = truncated_last_line(case_file, cases_path) if tally.status["invalid"] else None
    if truncated:
        say(f"redress: error: {truncated}")
        return ExitCode.INPUT_ERROR
    failing = [status for status in sorted(fail_on) if tally.status[status]]
    if failing:
        say("failing: " + ", ".join(f"{tally.status[s]:,} {s}" for s in failing))
        return ExitCode.FINDINGS
    return ExitCode.OK


def _report(summary: dict, tally: Tally, output_format: str, currency: str) -> None:
    if output_format == "json":
        emit_json(summary)
    elif output_format == "csv":
        emit(_rule_table_csv(summary))
    elif output_format == "markdown":
        emit(_markdown(summary, currency))
    else:
        emit(_text(summary, tally, currency))


def _rule_rows(summary: dict) -> list[list]:
    rows = []
    for name, rule in summary["rules"].items():
        rows.append([name, rule["cases"], *(rule["status"][s] for s in STATUSES),
                     rule["floor"], rule["ceiling"], rule["offered"]])
    return rows


RULE_HEADER = ["rule", "cases", *STATUSES, "floor", "ceiling", "offered"]


def _rule_table_csv(summary: dict) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(RULE_HEADER)
    writer.writerows(_rule_rows(summary))
    writer.writerow(["(all cases)", summary["cases"], *(summary["status"][s] for s in STATUSES),
                     summary["totals"]["floor"], summary["totals"]["ceiling"], summary["totals"]["offered"]])
    return buffer.getvalue()


def _markdown(summary: dict, currency: str) -> str:
    lines = [f"## Replay of {summary['source']} against {summary['policy']} ({summary['version']})", "",
             "| status | cases |", "| --- | ---: |"]
    lines += [f"| {status} | {summary['status'][status]:,} |" for status in STATUSES]
    lines += [f"| **total** | **{summary['cases']:,}** |", "", "| " + " | ".join(RULE_HEADER) + " |",
              "| --- |" + " ---: |" * (len(RULE_HEADER) - 1)]
    for row in _rule_rows(summary):
        lines.append("| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |")
    totals = summary["totals"]
    lines += ["", f"Over the guideline by {_money(totals['over_by'], currency)}; under by {_money(totals['under_by'], currency)}."]
    return "\n".join(lines)


def _money(text: str | None, currency: str) -> str:
    from decimal import Decimal

    return "-" if text is None else format_money(Decimal(text), currency)


def _text(summary: dict, tally: Tally, currency: str) -> str:
    cases = summary["cases"]
    lines = [f"Replayed {cases:,} cases from {summary['source']} against \"{summary['policy']}\" ({summary['version']})", ""]
    for status in STATUSES:
        count = summary["status"][status]
        share = f"{100 * count / cases:5.1f}%" if cases else ""
        lines.append(f"  {status:<9}{count:>10,}  {share}")
    lines += [f"  {'total':<9}{cases:>10,}", ""]
    totals = summary["totals"]
    lines.append(f"Money over the {sum(r['cases'] for r in summary['rules'].values()):,} cases with a range: "
                 f"floors {_money(totals['floor'], currency)}, ceilings {_money(totals['ceiling'], currency)}, "
                 f"offered {_money(totals['offered'], currency)}")
    lines.append(f"  over the guideline by {_money(totals['over_by'], currency)} ({summary['status']['over']:,} cases); "
                 f"under it by {_money(totals['under_by'], currency)} ({summary['status']['under']:,} cases)")
    if summary["rules"]:
        width = max(len(name) for name in summary["rules"])
        lines += ["", f"  {'rule':<{width}}  {'cases':>7} {'within':>7} {'under':>6} {'over':>6} {'decided':>7}  {'offered':>14}"]
        for name, rule in sorted(summary["rules"].items(), key=lambda item: -item[1]["cases"]):
            s = rule["status"]
            lines.append(f"  {name:<{width}}  {rule['cases']:>7,} {s['within']:>7,} {s['under']:>6,} {s['over']:>6,} "
                         f"{s['decided']:>7,}  {_money(rule['offered'], currency):>14}")
    for status, verb in (("over", "over the ceiling"), ("under", "under the floor")):
        worst = tally.worst(status)[:5]
        if worst:
            lines += ["", f"Furthest {verb}:"]
            for outcome in worst:
                gap = outcome.over_by if status == "over" else outcome.under_by
                bound = outcome.ceiling if status == "over" else outcome.floor
                lines.append(f"  row {outcome.row:>7} {str(outcome.case_id or ''):<10} offered {format_money(outcome.offered, currency)}, "
                             f"{'ceiling' if status == 'over' else 'floor'} {format_money(bound, currency)}: "
                             f"{format_money(gap, currency)} {status} [{outcome.rule}]")
    if tally.invalid_reasons:
        lines += ["", "Invalid rows by reason:"]
        lines += [f"  {count:>7,}  {reason}" for reason, count in sorted(tally.invalid_reasons.items(), key=lambda kv: -kv[1])[:10]]
    return "\n".join(lines)
