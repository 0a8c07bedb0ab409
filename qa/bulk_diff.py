"""The case diff on the SQL engine (DuckDB): both versions decide each row in one pass over the
cases, and the very `BehaviourDiff` of `qa.diff.CaseDiff` comes out.

The new version's query reads the rows the old version's query hands on: the old decision under
`old:` names, beside the case's own cells. So the file is read once and no join pairs the rows
(reading a CSV file twice and joining a million rows was a fifth of the diff). A case is changed
when any decision field differs (`qa.diff.DECISION_FIELDS`, the wording included), so every
output column of `engine.sql` is compared. Per unit of work, ONE
aggregate query groups the rows by what a `BehaviourDiff` counts them under: status, the fields
that differ, the rule and approver transitions (with the approver's cause), the histogram bin; with
the counts, each amount field's moves and exact DECIMAL total, the first row of each group (dicts
keep the order in which `CaseDiff` meets transitions), the movers (`max_by` on the keys its heap
uses) and the rows SQL hands back, which the compiled engine decides with its own reasons. A case
change with both decisions is made only where one is shown: a mover, or every row when kept.

Rows whose rule `qa.bulk_settled` proves to decide the same in both versions are left undecided by
both queries (their decision columns null on both sides, so they compare unchanged) unless every
case change is kept: a typical edit touches a few rules, and the amounts, notes and wording of the
others are most of the query's work.

Both versions must share a currency (a change of currency changes every case; `qa.bulk_engines`
gives that diff to the compiled engine).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache, partial
from typing import Iterable, Iterator

from dsl.currency import quantum
from dsl.model import Policy
from engine.sql import DECISION_COLUMNS, decision_of
from qa.batch import checked_policy
from qa.bulk import CARRIED, Remember, Unit, compiled_anew, grouped, merged, streamed, units_of
from qa.bulk_settled import settled_rules
from qa.bulk_sources import INDEX, PYTHON, ROW, fields_of
from qa.casefiles import CaseFile, RawRow
from qa.diff import AMOUNT_FIELDS, DECISION_FIELDS, ApproverChange, BehaviourDiff, CaseChange, diff_batches, differing_fields
from qa.replay import OFFERED_KEY

# Each compared decision field and the output columns it is made of (the currency is the policy's).
_COLUMNS_OF = {name: (name,) for name in DECISION_FIELDS if name not in ("currency", "extra")} | {
    "extra": ("extra_gesture", "extra_up_to")}
_AMOUNT_COLUMN = {"floor": "floor", "ceiling": "ceiling", "open_at": "open_at", "step": "step", "extra": "extra_up_to"}


# The old version's outputs, and the copies of the cells the new version reads, under names no
# field or decision column has (a policy's names cannot hold a colon).
_OLD, _NEXT = "old:", "new:"


def _old(name: str) -> str:
    return f'"{_OLD}{name}"'


def _new(name: str) -> str:
    return f'"{name}"'


def _side(name_of) -> str:
    return "{" + ", ".join(f"'{name}': {name_of(name)}" for name in DECISION_COLUMNS) + "}"


def _differs(name: str) -> str:
    return " OR ".join(f"{_old(column)} IS DISTINCT FROM {_new(column)}" for column in _COLUMNS_OF[name])


def _named(condition: str, value: str) -> str:
    return f"CASE WHEN status = 'changed' AND {condition} THEN {value} END"


_SQL_FIELDS = tuple(_COLUMNS_OF)
_PAIRED = f"""
SELECT row, {INDEX}, id, NOT {_old('ok')} OR NOT ok OR {PYTHON} AS python,
       {_side(_old)} AS old, {_side(_new)} AS new,
       {", ".join(f"({_differs(name)}) AS d_{name}" for name in _SQL_FIELDS)},
       {", ".join(f"coalesce({_new(column)}, 0) - coalesce({_old(column)}, 0) AS delta_{name}" for name, column in _AMOUNT_COLUMN.items())}
FROM ({{both}})
"""
_COMPARED = f"""
SELECT *, CASE WHEN python THEN 'python' WHEN {" OR ".join(f"d_{name}" for name in _SQL_FIELDS)} THEN 'changed'
               ELSE 'unchanged' END AS status
FROM ({_PAIRED})
"""
_BIN = """CASE WHEN delta_ceiling = 0 THEN '0' WHEN delta_ceiling < -1000 THEN '< -1,000'
            WHEN delta_ceiling < -100 THEN '-1,000 to -100' WHEN delta_ceiling < -10 THEN '-100 to -10'
            WHEN delta_ceiling < 0 THEN '-10 to 0' WHEN delta_ceiling < 10 THEN '0 to 10'
            WHEN delta_ceiling < 100 THEN '10 to 100' WHEN delta_ceiling < 1000 THEN '100 to 1,000' ELSE '>= 1,000' END"""
_FIELDS = "concat_ws(' ', " + ", ".join(f"CASE WHEN d_{name} THEN '{name}' END" for name in _SQL_FIELDS) + ")"  # nulls left out
_RULE_MOVE = "coalesce(nullif(old.rule, ''), '(no rule)') || ' -> ' || coalesce(nullif(new.rule, ''), '(no rule)')"
_APPROVER_MOVE = "coalesce(nullif(old.approver, ''), '(none)') || ' -> ' || coalesce(nullif(new.approver, ''), '(none)')"
_CHANGE = "{'row': row, 'i': " + INDEX + ", 'id': id, 'old': old, 'new': new}"
_AMOUNT_SUMS = ", ".join(f"sum(delta_{name}), count(*) FILTER (delta_{name} > 0), count(*) FILTER (delta_{name} < 0)"
                         for name in AMOUNT_FIELDS)
_DIFF_GROUPS = f"""
SELECT status, fields, rule_move, approver_move, approver_cause, bin, count(*), min(row), {_AMOUNT_SUMS},
       list({INDEX} ORDER BY row) FILTER (status = 'python'),
       max_by({_CHANGE}, {{'gap': abs(delta_ceiling), 'row': -row}}, 10) FILTER (status = 'changed' AND delta_ceiling <> 0)
FROM (SELECT *, {_named("true", _FIELDS)} AS fields, {_named("d_rule", _RULE_MOVE)} AS rule_move,
             {_named("d_approver", _APPROVER_MOVE)} AS approver_move,
             {_named("d_approver", "CASE WHEN d_rule THEN 'rule' WHEN d_ceiling THEN 'ceiling' ELSE 'limits' END")} AS approver_cause,
             {_named("true", _BIN)} AS bin
      FROM ({{compared}}))
GROUP BY ALL
"""
_COUNT_AT, _FIRST_AT, _AMOUNTS_AT = 6, 7, 8
_PYTHON_AT, _MOVERS_AT = _AMOUNTS_AT + 3 * len(AMOUNT_FIELDS), _AMOUNTS_AT + 3 * len(AMOUNT_FIELDS) + 1


class BulkDiff:
    """`qa.diff.CaseDiff` on DuckDB, for two policies in one currency that `qa.bulk.sql_refusal` accepts."""

    kind = "duckdb"

    def __init__(self, old: tuple[str, str], new: tuple[str, str], threads: int | None = None,
                 policies: tuple[Policy, Policy] | None = None, remember: Remember = compiled_anew):
        """`old`, `new`: (source, path); `policies` the two already checked, when the caller has
        them; `remember` keeps the compiled query between runs (see `qa.bulk.Remember`)."""
        self.old, self.new, self.threads, self.remember = old, new, threads, remember
        self.policies = policies or (checked_policy(*old), checked_policy(*new))
        if self.policies[0].currency != self.policies[1].currency:
            raise ValueError("BulkDiff compares versions in one currency")
        self.extra_columns: dict[str, None] = {}
        self._compared: dict[tuple, str] = {}
        self.settled = settled_rules(*self.policies)

    def _compared_rows(self, types: dict[str, str], keep_changes: bool) -> str:
        """The unit's rows, each compared, as a query to use as a subquery (a view would be bound
        twice by DuckDB). Every kept change shows both decisions, so then none is left undecided."""
        key = (keep_changes, *sorted(types.items()))
        if key not in self._compared:
            settled = frozenset() if keep_changes else self.settled
            make = lambda: _COMPARED.replace("{both}", both_decided(*self.policies, types, settled))  # noqa: E731
            self._compared[key] = self.remember(f"diff\0{self.old[1]}\0{self.old[0]}\0{self.new[1]}\0{self.new[0]}\0{key!r}",
                                                make)
        return self._compared[key]

    def batches(self, cases: CaseFile | Iterable[RawRow], keep_changes: bool) -> Iterator[tuple[BehaviourDiff, list | None, int]]:
        # The compiled engines are built only if SQL hands a row back (most files hand back none).
        python = cache(partial(diff_batches, *self.old, *self.new, "compiled", None))
        known = {f.name for p in self.policies for f in p.fields} | {"id", OFFERED_KEY, ROW, INDEX, PYTHON}
        units = units_of(cases, fields_of(*self.policies), self.threads)
        for unit in units:
            compared = self._compared_rows(unit.types, keep_changes)
            groups = grouped(units, unit, _DIFF_GROUPS.replace("{compared}", compared), _COUNT_AT)
            if groups is None:
                continue
            handed_back = sorted(i for group in groups if group[0] == "python" for i in group[_PYTHON_AT])
            python_changes, python_extra = python()(unit.raw_rows(handed_back)) if handed_back else ([], [])
            behaviour = self._behaviour(unit, groups, python_changes)
            self.extra_columns.update(dict.fromkeys(sorted(set(unit.extras(known)) | set(python_extra))))
            rows = behaviour.cases
            if keep_changes:
                for changes in merged(self._changes(unit, compared), python_changes):
                    yield BehaviourDiff(), changes, len(changes)
                rows = 0
            yield behaviour, [] if keep_changes else None, rows

    def changes(self, cases: CaseFile | Iterable[RawRow]) -> Iterator[CaseChange]:
        for _, changes, _ in self.batches(cases, keep_changes=True):
            yield from changes

    def _behaviour(self, unit: Unit, groups: list, python_changes: list[CaseChange]) -> BehaviourDiff:
        """The unit's `BehaviourDiff`, as `CaseDiff` would add its changes up one by one."""
        behaviour = BehaviourDiff()
        firsts: dict[str, dict[str, int]] = {"rule": {}, "approver": {}}
        decided = [group for group in groups if group[0] != "python"]
        if decided:
            behaviour.zero = quantum(self.policies[0].currency) * 0
        for status, fields, rule_move, approver_move, cause, label, count, first, *rest in decided:
            behaviour.cases += count
            if status == "unchanged":
                behaviour.unchanged += count
                continue
            behaviour.changed += count
            behaviour.histogram[label] += count
            fields = fields.split()
            for name in fields:
                behaviour.fields[name] += count
            for index, name in enumerate(AMOUNT_FIELDS):
                if name in fields:
                    total, more, less = rest[3 * index:3 * index + 3]
                    amount = behaviour.amounts[name]
                    amount.delta += Decimal(total)
                    amount.more += more
                    amount.less += less
            if rule_move is not None:
                firsts["rule"][rule_move] = min(first, firsts["rule"].get(rule_move, first))
                behaviour.transitions[rule_move] = behaviour.transitions.get(rule_move, 0) + count
            if approver_move is not None:
                firsts["approver"][approver_move] = min(first, firsts["approver"].get(approver_move, first))
                moved = behaviour.approvers.setdefault(approver_move, ApproverChange())
                moved.cases += count
                setattr(moved, cause, getattr(moved, cause) + count)
            for mover in rest[-1] or ():
                behaviour.keep_if_mover(self._change(unit, mover))
        for change in python_changes:  # where the compiled engine's changes first meet a transition
            if change.status == "changed":
                for kind, decision_field, key in (("rule", "rule", _move(change, "rule", "(no rule)")),
                                                  ("approver", "approver", _move(change, "approver", "(none)"))):
                    if decision_field in change.fields:
                        firsts[kind][key] = min(change.row, firsts[kind].get(key, change.row))
        behaviour.transitions = {key: behaviour.transitions.get(key, 0) for key in sorted(firsts["rule"], key=firsts["rule"].get)}
        behaviour.approvers = {key: behaviour.approvers.get(key) or ApproverChange()
                               for key in sorted(firsts["approver"], key=firsts["approver"].get)}
        python_part = BehaviourDiff()
        for change in python_changes:
            python_part.add(change)
        behaviour.merge(python_part)
        return behaviour

    def _changes(self, unit: Unit, compared: str) -> Iterator[CaseChange]:
        return streamed(unit, f"SELECT {_CHANGE} FROM ({compared}) WHERE status <> 'python' ORDER BY row", self._change)

    def _change(self, unit: Unit, row: dict) -> CaseChange:
        case_id = unit.case_id(row["i"], row["id"])
        old, new = (decision_of(policy, row[side], case_id) for policy, side in zip(self.policies, ("old", "new")))
        fields = differing_fields(old, new)
        return CaseChange(row["row"], case_id, "changed" if fields else "unchanged", old, new, fields=fields)


def both_decided(old: Policy, new: Policy, types: dict[str, str], settled: frozenset) -> str:
    """One query deciding every row of `cases` (columns `types`) with both versions: the old
    version's query hands on its decision under `old:` names and, under `new:` names, the cells
    the new version reads, which the new version's query reads back under their own names."""
    from engine.sql import compile_policy, renamed

    cells = [f.name for f in new.fields if f.name in types]
    copies = {name: _NEXT + name for name in cells}
    copy_types = {copy: types[name] for name, copy in copies.items()}
    first = compile_policy(old, "duckdb", renamed("cases", copies, keep_all=True), types | copy_types,
                           carry=(*CARRIED, *copies.values()), settled=settled)
    handed_on = {"row": ROW, "ok": _OLD + "ok", **{name: _OLD + name for name in DECISION_COLUMNS},
                 **{name: name for name in CARRIED if name not in copies}, **{copy: name for name, copy in copies.items()}}
    # A carried column is only passed through: its type is never read, so any name of one will do.
    carried = {name: types.get(name, "VARCHAR") for name in CARRIED} | {_OLD + name: "ANY" for name in ("ok", *DECISION_COLUMNS)}
    second = compile_policy(new, "duckdb", renamed(first, handed_on), {name: types[name] for name in cells} | carried,
                            carry=(*CARRIED, *(_OLD + name for name in ("ok", *DECISION_COLUMNS))), settled=settled)
    return second.sql()


def _move(change: CaseChange, field: str, absent: str) -> str:
    return f"{getattr(change.old, field) or absent} -> {getattr(change.new, field) or absent}"
