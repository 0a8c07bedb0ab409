"""`redress diff OLD NEW [--cases FILE]`: two versions of a policy, compared by text, by structure,
and (with cases) by what they would have decided. Exit 0 when nothing changed, 1 when something did,
like diff(1): without cases, the text; with cases, any case's decision (a comment-only edit is 0)."""

from __future__ import annotations

import difflib
import sys
from contextlib import nullcontext
from decimal import Decimal

import click

from dsl.compare import compare_policies
from dsl.currency import format_money
from qa.bulk_engines import EngineUnavailable, diff_engine
from qa.casefiles import CaseFileError, open_cases
from qa.diff import AMOUNT_FIELDS, DECISION_FIELDS, BehaviourDiff, change_json
from redress.inputs import load_checked_policy
from redress.outcome_files import RowWriter
from redress.policy_cache import remembered_sql
from redress.output import ExitCode, emit, emit_json, fail, say, warn
from redress.progress import Progress
from analysis.proof_text import proof_text
from redress.prove_report import prove_versions
from redress.replay_command import truncated_last_line

CHANGE_COLUMNS = ["row", "id", "status", "fields", *(f"{side}_{name}" for name in DECISION_FIELDS for side in ("old", "new")),
                  "ceiling_delta", "reason"]


def run_diff(old_path: str, new_path: str, cases_path: str | None, input_format: str | None, engine_kind: str,
             workers: int, output_format: str, out_path: str | None, color: bool | None,
             spark_master: str | None = None, prove_timeout: float | None = None) -> int:
    """With `prove_timeout`, the `proof` over every possible case is added (redress/prove_report.py),
    and a change counts when the proof finds one, not when only the text changed."""
    old, new = load_checked_policy(old_path), load_checked_policy(new_path)
    structure = compare_policies(old.policy, new.policy)
    text_changed = old.source != new.source
    result = {"old": _identity(old.policy, old_path), "new": _identity(new.policy, new_path),
              "structure": {name: section.to_json() for name, section in structure.items()}, "source_changed": text_changed}
    report = [_source_diff(old.source, new.source, old_path, new_path, _use_color(color)), _structure_text(structure)]
    proof = prove_versions(old.policy, new.policy, prove_timeout) if prove_timeout is not None else None
    if proof is not None:
        result["proof"] = proof
    proved_change = proof is not None and proof["equivalent"] is not True
    proof_report = [proof_text(proof)] if proof is not None else []
    if cases_path is None:
        if output_format == "json":
            emit_json(result)
        else:
            emit("\n".join([*report, *proof_report]))
        changed = proved_change if proof is not None else text_changed
        return ExitCode.FINDINGS if changed else ExitCode.OK
    behaviour = BehaviourDiff()
    try:
        differ, fallback = diff_engine((old.source, old_path), (new.source, new_path), engine_kind, workers, spark_master,
                                       (old.policy, new.policy), remembered_sql)
    except EngineUnavailable as error:
        fail(str(error))
    if fallback:
        warn(fallback)
        engine_kind = "compiled"
    try:
        with open_cases(cases_path, input_format) as case_file, Progress("diff", fraction=case_file.fraction_read) as progress:
            with RowWriter(out_path, CHANGE_COLUMNS) if out_path else nullcontext() as out:
                for part, changes, rows in differ.batches(case_file, keep_changes=out is not None):
                    behaviour.merge(part)
                    progress.tick(rows)
                    for change in changes or ():
                        out.write(_flat(change_json(change)))
    except (CaseFileError, EngineUnavailable) as error:
        fail(str(error))
    for note in getattr(differ, "notes", ()):  # only the Spark engine has any
        warn(note)
    if differ.extra_columns:
        warn(f"extra columns kept but not used by either version: {', '.join(differ.extra_columns)}")
    result |= behaviour.to_json() | {"engine": engine_kind}
    if output_format == "json":
        emit_json(result)
    else:
        emit("\n".join([*report, _behaviour_text(behaviour, new.policy.currency, cases_path), *proof_report]))
    truncated = truncated_last_line(case_file, cases_path) if behaviour.invalid else None
    if truncated:
        say(f"redress: error: {truncated}")
        return ExitCode.INPUT_ERROR
    return ExitCode.FINDINGS if behaviour.differs or proved_change else ExitCode.OK


def _identity(policy, path: str) -> dict:
    return {"file": path, "policy": policy.name, "version": policy.version, "digest": policy.digest}


def _flat(change: dict) -> dict:
    """One row of `--out`: lists as `a; b`, the extra gesture as `fruit basket up to 25.00`."""
    flat = {key: change[key] for key in ("row", "id", "status", "ceiling_delta", "reason")}
    flat["fields"] = ", ".join(change["fields"])
    for side in ("old", "new"):
        for key in DECISION_FIELDS:
            value = change[side][key] if change[side] else None
            if isinstance(value, list):
                value = "; ".join(value)
            elif isinstance(value, dict):
                value = f"{value['gesture']} up to {value['up_to']}"
            flat[f"{side}_{key}"] = value
    return flat


def _use_color(color: bool | None) -> bool:
    return sys.stdout.isatty() if color is None else color


def _source_diff(old: str, new: str, old_path: str, new_path: str, color: bool) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), old_path, new_path, lineterm=""))
    if not lines:
        return "The two files have the same text."
    styles = {"+": "green", "-": "red", "@": "cyan"}
    shown = []
    for line in lines:
        style = styles.get(line[:1]) if color and not line.startswith(("+++", "---")) else None
        shown.append(click.style(line, fg=style) if style else line)
    return "\n".join(shown)


def _structure_text(structure) -> str:
    lines = ["", "What changed, by section:"]
    for name, section in structure.items():
        if not section:
            continue
        for verb, items in (("added", section.added), ("removed", section.removed), ("changed", section.changed)):
            lines += [f"  {name:<13}{verb:<8} {item}" for item in items]
    if len(lines) == 2:
        lines.append("  nothing: the two versions mean the same")
    return "\n".join(lines)


def _behaviour_text(behaviour: BehaviourDiff, currency: str, cases_path: str) -> str:
    def money(amount: Decimal) -> str:
        sign = "+" if amount > 0 else ""
        return sign + format_money(amount, currency)

    lines = ["", f"Decided {behaviour.cases:,} cases from {cases_path} with both versions:",
             f"  changed    {behaviour.changed:>10,}", f"  unchanged  {behaviour.unchanged:>10,}",
             f"  invalid    {behaviour.invalid:>10,}" + (f"  ({behaviour.invalid_in_one_version:,} under one version only)"
                                                           if behaviour.invalid_in_one_version else ""), "",
             f"  {behaviour.more:,} cases would get a higher ceiling, {behaviour.less:,} a lower one",
             f"  total ceiling change {money(behaviour.ceiling_delta)}, total floor change {money(behaviour.floor_delta)}"]
    if behaviour.changed:
        lines += ["", "What changed in the changed cases, by field:"]
        lines += [_field_line(behaviour, name, money) for name, count in behaviour.fields.items() if count]
    if behaviour.transitions:
        lines += ["", "Rule changes (old -> new):"]
        lines += [f"  {count:>8,}  {key}" for key, count in sorted(behaviour.transitions.items(), key=lambda kv: -kv[1])[:10]]
    if behaviour.approvers:
        lines += ["", "Approver changes (old -> new):"]
        for key, moved in sorted(behaviour.approvers.items(), key=lambda kv: -kv[1].cases)[:10]:
            lines.append(f"  {moved.cases:>8,}  {key}  ({_approver_cause(moved)})")
    movers = behaviour.movers()
    if movers:
        lines += ["", "Biggest movers (ceiling):"]
        for change in movers[:10]:
            lines.append(f"  row {change.row:>7} {str(change.case_id or ''):<10} {format_money(change.old.ceiling or Decimal(0), currency)}"
                         f" -> {format_money(change.new.ceiling or Decimal(0), currency)}  ({money(change.ceiling_delta)})")
    if behaviour.changed:
        peak = max(behaviour.histogram.values())
        lines += ["", "Per-case ceiling change of the changed cases:"]
        for label, count in behaviour.histogram.items():
            bar = "█" * round(30 * count / peak) if peak else ""
            lines.append(f"  {label:>16} {count:>8,} {bar}")
    if behaviour.invalid_reasons:
        lines += ["", "Invalid cases by reason:"]
        lines += [f"  {count:>8,}  {reason}" for reason, count in sorted(behaviour.invalid_reasons.items(), key=lambda kv: -kv[1])[:10]]
    return "\n".join(lines)


def _field_line(behaviour: BehaviourDiff, name: str, money) -> str:
    """`open_at  12 cases  total +$34.00 (10 higher, 2 lower)`: how many cases, and for an amount how much."""
    count = behaviour.fields[name]
    line = f"  {name:<13}{count:>10,} case{'s' * (count != 1)}"
    if name in AMOUNT_FIELDS:
        amount = behaviour.amounts[name]
        line += f"  total {money(amount.delta + behaviour.zero)} ({amount.more:,} higher, {amount.less:,} lower)"
    return line


def _approver_cause(moved) -> str:
    """Why an approver changed: another rule decides, the ceiling crossed a limit, or the limits moved."""
    causes = ((moved.rule, "decided by another rule or none"), (moved.ceiling, "the same rule, a ceiling across a limit"),
              (moved.limits, "the same ceiling: the authority limits changed"))
    return "; ".join(f"{count:,} {cause}" for count, cause in causes if count)
