"""`redress diff OLD NEW` as QA uses it before adopting a policy change: what changed in the text and
the structure, and, with historic cases, exactly which cases the new version would decide differently.

The expected behavioural numbers are computed here, independently: every row is decided by both
versions with `engine.decide.load_engine` (the durable engine, while the command uses the compiled
one by default) and compared on rule, floor, ceiling and approver.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import REPO
from dsl.currency import format_money

RESTAURANT = REPO / "policies" / "restaurant_catering.policy"
RESTAURANT_CASES = REPO / "policies" / "restaurant_catering.cases.csv"
ANSI = re.compile(r"\x1b\[")
SECTIONS = ("rules", "entitlements", "routes", "authority", "fields", "lets", "header")


def edited(text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


RULE_RAISED = ("but no more than 25% of price", "but no more than 30% of price")  # "Late catering"
THRESHOLD_LOWERED = ("when situation is late_catering and price >= $250", "when situation is late_catering and price >= $200")
RUDE_STAFF = """rule "Rude staff"
  when situation is rude_staff
  offer up to $25
  remedies dessert_on_the_house, credit
  escalate to shift_supervisor
"""
RUDE_STAFF_REMOVED = (RUDE_STAFF, "")
SERVER_LIMIT_LOWERED = ("server up to $50", "server up to $40")
FIELD_ADDED = ("  food_safety_concern: bool = false", "  food_safety_concern: bool = false\n  table_number: integer = 0")
RULE_ADDED = ('rule "Billing error"', 'rule "Loyal regular"\n  when situation is other and lifetime_value >= $5,000\n'
              '  offer up to $40\n\nrule "Billing error"')


@pytest.fixture
def versions(tmp_path):
    """Write policy versions next to each other: `versions("name", *edits)` is a path."""
    source = RESTAURANT.read_text()

    def write(name: str, *edits: tuple[str, str]) -> Path:
        path = tmp_path / f"{name}.policy"
        path.write_text(edited(source, *edits))
        return path

    return write


# ---------------------------------------------------------------- without cases


def test_identical_files(redress, versions):
    old, new = versions("old"), versions("new")
    result = redress("diff", old, new)
    assert result.returncode == 0, result.stderr
    assert "The two files have the same text." in result.stdout
    assert "nothing: the two versions mean the same" in result.stdout
    as_json = json.loads(redress("diff", old, new, "--format", "json").stdout)
    assert as_json["source_changed"] is False
    assert as_json["structure"] == {section: {"added": [], "removed": [], "changed": []} for section in SECTIONS}


def test_a_changed_file_names_what_changed(redress, versions):
    old = versions("old")
    new = versions("new", RULE_RAISED, RUDE_STAFF_REMOVED, SERVER_LIMIT_LOWERED, FIELD_ADDED, RULE_ADDED)
    result = redress("diff", old, new)
    assert result.returncode == 1, result.stderr
    text = result.stdout
    assert f"--- {old}" in text and f"+++ {new}" in text
    assert "-  offer no less than 10% of price but no more than 25% of price" in text
    assert "+  offer no less than 10% of price but no more than 30% of price" in text
    summary = text[text.index("What changed, by section:"):]
    for section, verb, item in (("rules", "added", "Loyal regular"), ("rules", "removed", "Rude staff"),
                                ("rules", "changed", "Late catering"), ("authority", "changed", "server"),
                                ("fields", "added", "table_number")):
        assert re.search(rf"^\s+{section}\s+{verb}\s+{re.escape(item)}$", summary, re.M), (section, verb, item)
    assert not ANSI.search(text)  # stdout is not a terminal: no color by default

    structure = json.loads(redress("diff", old, new, "--format", "json").stdout)["structure"]
    assert set(structure) == set(SECTIONS)
    assert structure["rules"] == {"added": ["Loyal regular"], "removed": ["Rude staff"], "changed": ["Late catering"]}
    assert structure["authority"] == {"added": [], "removed": [], "changed": ["server"]}
    assert structure["fields"] == {"added": ["table_number"], "removed": [], "changed": []}
    for section in ("entitlements", "routes", "lets", "header"):
        assert structure[section] == {"added": [], "removed": [], "changed": []}, section


def test_a_moved_rule_is_a_change_because_order_decides(invoke, versions):
    old = versions("old")
    moved = versions("moved", RUDE_STAFF_REMOVED, ("otherwise escalate", RUDE_STAFF + "\notherwise escalate"))
    result = invoke("diff", old, moved, "--format", "json")
    assert result.exit_code == 1
    rules = json.loads(result.stdout)["structure"]["rules"]
    assert rules == {"added": [], "removed": [], "changed": ["moved: Billing error", "moved: Rude staff"]}


def test_color_only_when_asked(invoke, versions):
    old, new = versions("old"), versions("new", RULE_RAISED)
    colored = invoke("diff", old, new, "--color")
    plain = invoke("diff", old, new, "--no-color")
    assert colored.exit_code == plain.exit_code == 1
    assert "\x1b[32m+" in colored.stdout and "\x1b[31m-" in colored.stdout  # added green, removed red
    assert not ANSI.search(plain.stdout)
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored.stdout) == plain.stdout


# ---------------------------------------------------------------- with cases: the exact count


# Every field of a decision (README's decision format) but the version's identity and the case's own id.
DECISION_FIELDS = ("rule", "currency", "floor", "ceiling", "open_at", "step", "remedies", "approver", "escalate_to",
                   "routes", "entitlements", "say", "follow_up", "extra", "notes")


def expected_behaviour(old: Path, new: Path, cases: Path) -> dict:
    """Decide every row with both versions, independently of `redress diff`, and compare every
    decision field of the decision as `redress eval` prints it."""
    from dsl.checker import check_file
    from engine.cases import CaseError
    from engine.decide import load_engine

    engines = [load_engine(check_file(str(path)).policy, "durable") for path in (old, new)]
    changed = unchanged = invalid = more = less = 0
    floor_delta = ceiling_delta = Decimal(0)
    transitions: Counter = Counter()
    approvers: Counter = Counter()
    fields: Counter = Counter()
    amounts = dict.fromkeys(("floor", "ceiling", "open_at", "step", "extra"), Decimal(0))
    deltas: list[tuple[Decimal, int]] = []
    with cases.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        for cells in reader:
            row = reader.line_num
            if len(cells) != len(header):
                invalid += 1
                continue
            data = {key: value for key, value in zip(header, cells) if value != ""}
            decisions = []
            for engine in engines:
                own = {key: value for key, value in data.items()
                       if key == "id" or key in {field.name for field in engine.policy.fields}}
                try:
                    decisions.append(engine.decide(own).to_json())
                except CaseError:
                    break
            if len(decisions) < 2:
                invalid += 1
                continue
            before, after = decisions
            floor_change = Decimal(after["floor"] or 0) - Decimal(before["floor"] or 0)
            ceiling_change = Decimal(after["ceiling"] or 0) - Decimal(before["ceiling"] or 0)
            floor_delta += floor_change
            ceiling_delta += ceiling_change
            differ = [name for name in DECISION_FIELDS if before[name] != after[name]]
            if not differ:
                unchanged += 1
                continue
            changed += 1
            fields.update(differ)
            for name in amounts:
                old_amount, new_amount = ((side[name] or {}).get("up_to") if name == "extra" else side[name] for side in (before, after))
                amounts[name] += Decimal(new_amount or 0) - Decimal(old_amount or 0)
            more += ceiling_change > 0
            less += ceiling_change < 0
            if before["rule"] != after["rule"]:
                transitions[f"{before['rule'] or '(no rule)'} -> {after['rule'] or '(no rule)'}"] += 1
            if before["approver"] != after["approver"]:
                approvers[f"{before['approver'] or '(none)'} -> {after['approver'] or '(none)'}"] += 1
            deltas.append((ceiling_change, row))
    return {"changed": changed, "unchanged": unchanged, "invalid": invalid, "floor_delta": floor_delta,
            "ceiling_delta": ceiling_delta, "transitions": dict(transitions), "approvers": dict(approvers),
            "fields": {name: fields[name] for name in DECISION_FIELDS}, "amounts": amounts, "more": more, "less": less, "deltas": deltas}


def histogram_of(deltas: list[Decimal]) -> dict[str, int]:
    bins = [("< -1,000", lambda d: d < -1000), ("-1,000 to -100", lambda d: -1000 <= d < -100),
            ("-100 to -10", lambda d: -100 <= d < -10), ("-10 to 0", lambda d: -10 <= d < 0), ("0", lambda d: d == 0),
            ("0 to 10", lambda d: 0 < d < 10), ("10 to 100", lambda d: 10 <= d < 100),
            ("100 to 1,000", lambda d: 100 <= d < 1000), (">= 1,000", lambda d: d >= 1000)]
    return {label: sum(1 for d in deltas if test(d)) for label, test in bins}


@pytest.fixture
def historic_cases(tmp_path) -> Path:
    """The sample restaurant cases with two broken rows (a bad choice, a short row)."""
    lines = RESTAURANT_CASES.read_text().splitlines()
    header = lines[0].split(",")
    cells = next(csv.reader([lines[4]]))
    cells[header.index("situation")] = "flood"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    lines[4] = buffer.getvalue()
    lines[8] = ",".join(lines[8].split(",")[:3])
    path = tmp_path / "historic.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def old_and_new(versions) -> tuple[Path, Path]:
    return versions("old"), versions("new", RULE_RAISED, THRESHOLD_LOWERED, RUDE_STAFF_REMOVED, SERVER_LIMIT_LOWERED)


def test_the_behavioural_diff_reports_exactly_the_changed_cases(redress, old_and_new, historic_cases):
    old, new = old_and_new
    expected = expected_behaviour(old, new, historic_cases)
    result = redress("diff", old, new, "--cases", historic_cases, "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)

    assert expected["changed"] > 100 and expected["invalid"] == 2  # the edits do move many cases
    assert report["source_changed"] is True and report["structure"]["rules"]["removed"] == ["Rude staff"]
    assert report["cases"] == 2000 == expected["changed"] + expected["unchanged"] + expected["invalid"]
    for key in ("changed", "unchanged", "invalid", "more", "less", "transitions", "fields"):
        assert report[key] == expected[key], key
    assert {key: moved["cases"] for key, moved in report["approvers"].items()} == expected["approvers"]
    assert Decimal(report["floor_delta"]) == expected["floor_delta"]
    assert Decimal(report["ceiling_delta"]) == expected["ceiling_delta"]
    assert report["floor_delta"] == format(expected["floor_delta"], "f")
    assert {"Rude staff -> (no rule)", "Late catering -> Late catering, large order"} <= set(report["transitions"])
    # Only moves between different rules: a case that kept its rule and got a new ceiling is no transition.
    assert all(old != new for old, new in (key.split(" -> ") for key in report["transitions"]))
    assert sum(report["transitions"].values()) == report["fields"]["rule"] < report["changed"]
    assert report["histogram"] == histogram_of([delta for delta, _ in expected["deltas"]])
    assert sum(report["invalid_reasons"].values()) == 2
    assert any("`situation` cannot be 'flood'" in reason for reason in report["invalid_reasons"])

    movers = report["movers"]
    ranked = sorted([item for item in expected["deltas"] if item[0]], key=lambda item: (-abs(item[0]), item[1]))[:10]
    assert [(Decimal(m["ceiling_delta"]), m["row"]) for m in movers] == ranked


def test_only_a_comment_changed_means_no_case_changed(redress, versions):
    old = versions("old")
    new = versions("commented", ("# Rude staff: a small gesture", "# Rude staff (reviewed 2026-12): a small gesture"),
                   ("policy \"Restaurant", "# Reviewed by QA.\npolicy \"Restaurant"))
    result = redress("diff", old, new, "--cases", RESTAURANT_CASES, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["cases"], report["changed"], report["unchanged"], report["invalid"]) == (2000, 0, 2000, 0)
    assert report["floor_delta"] == report["ceiling_delta"] == "0.00" and report["transitions"] == {}
    assert all(section == {"added": [], "removed": [], "changed": []} for section in report["structure"].values())


def test_a_field_the_new_version_requires_makes_cases_invalid(invoke, versions, tmp_path):
    old = versions("old")
    new = versions("new", ("  food_safety_concern: bool = false", "  food_safety_concern: bool = false\n  table_number: integer"))
    result = invoke("diff", old, new, "--cases", RESTAURANT_CASES, "--format", "json", "--workers", "1")
    report = json.loads(result.stdout)
    assert (report["cases"], report["invalid"], report["changed"]) == (2000, 2000, 0)
    # No case "changed", but the new version can decide none of them: a CI gate must see that.
    assert report["invalid_in_one_version"] == 2000 and result.exit_code == 1
    [(reason, count)] = report["invalid_reasons"].items()
    assert count == 2000 and "new version" in reason and "`table_number`" in reason and "missing" in reason

    # Where some rows carry it: those are decided by both (the old version ignores it), the rest are invalid.
    cases = tmp_path / "tables.csv"
    cases.write_text("id,situation,price,table_number\na,cold_entree,20.00,4\nb,cold_entree,20.00,\nc,rude_staff,9.00,12\n")
    out = tmp_path / "out.csv"
    result = invoke("diff", old, new, "--cases", cases, "--format", "json", "--workers", "1", "--out", out)
    report = json.loads(result.stdout)
    assert (report["cases"], report["changed"], report["unchanged"], report["invalid"]) == (3, 0, 2, 1)
    assert "extra columns" not in result.stderr  # a field of either version is not an extra column
    with out.open(newline="") as stream:
        rows = {row["id"]: row for row in csv.DictReader(stream)}
    assert rows["b"]["status"] == "invalid" and rows["b"]["reason"].startswith("new version:")
    assert "`table_number`" in rows["b"]["reason"]
    assert rows["a"]["status"] == rows["c"]["status"] == "unchanged"


def test_the_readable_behavioural_report(invoke, old_and_new, historic_cases):
    old, new = old_and_new
    report = json.loads(invoke("diff", old, new, "--cases", historic_cases, "--format", "json", "--workers", "1").stdout)
    result = invoke("diff", old, new, "--cases", historic_cases, "--no-color", "--workers", "1")
    assert result.exit_code == 1
    text = result.stdout
    assert not ANSI.search(text)
    assert f"Decided 2,000 cases from {historic_cases} with both versions:" in text
    # The text and structural diff stay, above the behavioural one.
    assert text.index(f"--- {old}") < text.index("What changed, by section:") < text.index("Decided 2,000 cases")
    assert "+  offer no less than 10% of price but no more than 30% of price" in text
    by_field = text[text.index("What changed in the changed cases, by field:"):].split("\n\n")[0].splitlines()[1:]
    assert [line.split()[:2] for line in by_field] == \
        [[name, f"{count:,}"] for name, count in report["fields"].items() if count]
    for key in ("changed", "unchanged", "invalid"):
        assert re.search(rf"^\s+{key}\s+{report[key]:,}$", text, re.M), key
    assert f"{report['more']:,} cases would get a higher ceiling, {report['less']:,} a lower one" in text
    ceiling = Decimal(report["ceiling_delta"])
    shown = ("+" if ceiling > 0 else "-" if ceiling < 0 else "") + f"${abs(ceiling):,.2f}"
    assert f"total ceiling change {shown}" in text
    assert "Rule changes (old -> new):" in text and "Rude staff -> (no rule)" in text
    movers = text[text.index("Biggest movers (ceiling):"):].splitlines()[1:11]
    assert [int(line.split()[1]) for line in movers] == [m["row"] for m in report["movers"]]
    histogram = text[text.index("Per-case ceiling change of the changed cases:"):].splitlines()[1:10]
    assert [line.split()[-2] if line.rstrip().endswith("█") else line.split()[-1] for line in histogram] == \
        [f"{count:,}" for count in report["histogram"].values()]
    assert any("█" in line for line in histogram)
    assert "Invalid cases by reason:" in text and "`situation` cannot be 'flood'" in text


def test_two_workers_equal_one_and_out_has_one_row_per_case(redress, old_and_new, historic_cases, tmp_path):
    old, new = old_and_new
    runs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"changes{workers}.csv"
        result = redress("diff", old, new, "--cases", historic_cases, "--format", "json", "--workers", workers, "--out", out)
        assert result.returncode == 1, result.stderr
        runs[workers] = (json.loads(result.stdout), out.read_bytes())
    assert runs["1"] == runs["2"]
    report, written = runs["1"]
    rows = list(csv.DictReader(io.StringIO(written.decode())))
    assert len(rows) == report["cases"] == 2000
    assert [int(row["row"]) for row in rows] == list(range(2, 2002))
    assert Counter(row["status"] for row in rows) == {key: report[key] for key in ("changed", "unchanged", "invalid")}
    assert sum(Decimal(row["ceiling_delta"]) for row in rows if row["ceiling_delta"]) == Decimal(report["ceiling_delta"])
    for row in rows:
        differ = [name for name in DECISION_FIELDS if row[f"old_{name}"] != row[f"new_{name}"]]
        assert row["fields"] == (", ".join(differ) if row["status"] != "invalid" else ""), row
        assert (row["status"] == "changed") == bool(differ) or row["status"] == "invalid"


def test_a_diff_merged_from_parts_equals_one_built_case_by_case(old_and_new, historic_cases):
    """Batches decided apart (on several workers, or by a bulk engine) add up to the same report."""
    from qa.casefiles import open_cases
    from qa.diff import BehaviourDiff, CaseDiff

    old, new = old_and_new
    with open_cases(str(historic_cases)) as case_file:
        rows = list(case_file.rows())
    differ = CaseDiff((old.read_text(), str(old)), (new.read_text(), str(new)))
    whole, merged = BehaviourDiff(), BehaviourDiff()
    for change in differ.changes(rows):
        whole.add(change)
    for start in range(0, len(rows), 300):
        for part, changes, count in differ.batches(rows[start:start + 300], keep_changes=False):
            assert changes is None and count == len(rows[start:start + 300])
            merged.merge(part)
    assert whole.changed > 100 and whole.approvers and whole.fields["say"]
    assert merged.to_json() == whole.to_json()


def test_diff_reads_cases_from_standard_input_and_other_formats(invoke, old_and_new, tmp_path):
    old, new = old_and_new
    baseline = json.loads(invoke("diff", old, new, "--cases", RESTAURANT_CASES, "--format", "json", "--workers", "1").stdout)
    lines = tmp_path / "cases.jsonl"
    with RESTAURANT_CASES.open(newline="") as stream:
        lines.write_text("".join(json.dumps({k: v for k, v in row.items() if v}) + "\n" for row in csv.DictReader(stream)))
    from_stdin = invoke("diff", old, new, "--cases", "-", "--format", "json", "--workers", "1", stdin=lines.read_text())
    assert from_stdin.exit_code == 1
    report = json.loads(from_stdin.stdout)
    for key in ("cases", "changed", "unchanged", "invalid", "floor_delta", "ceiling_delta", "transitions", "histogram"):
        assert report[key] == baseline[key], key


# One one-line edit per decision field, each moving that field on some of the sample's cases.
FIELD_EDITS = {
    "rule": ('rule "Rude staff"', 'rule "Rude staff, reviewed"'),
    "currency": ("currency USD", "currency CAD"),
    "floor": ("offer no less than price but no more than price + $5", "offer no less than price - $1 but no more than price + $5"),
    "ceiling": RULE_RAISED,
    "open_at": ("open at 20% of price", "open at 25% of price"),
    "step": ("step 5% of price", "step 6% of price"),
    "remedies": ("remedies correct_bill, account_credit", "remedies correct_bill"),
    "approver": SERVER_LIMIT_LOWERED,
    "escalate_to": ("  escalate to shift_supervisor", "  escalate to restaurant_manager"),
    "routes": ("Manager\" when situation is billing_error", "Manager\" when situation is billing_error or situation is other"),
    "entitlements": ("when situation is late_catering and not delivered", "when situation is late_catering"),
    "say": ('say "Let me make you a fresh one right away, on the house."', 'say "A fresh one, right away, on the house."'),
    "follow_up": ("follow up within 2 days", "follow up within 3 days"),
    "extra": ('extra "fruit basket" up to $25', 'extra "fruit basket" up to $30'),
    "notes": ("open at 10% of price", "open at 5% of price"),  # below the floor: moved back up, with a note
}


def test_every_decision_field_has_an_edit():
    """A field added to decisions must be compared by the diff, and get an edit here."""
    from dsl.checker import check_file
    from engine.decide import load_engine

    decision = load_engine(check_file(str(RESTAURANT)).policy).decide({"situation": "cold_entree", "price": "20"})
    assert set(FIELD_EDITS) == set(DECISION_FIELDS) == set(decision.to_json()) - {"policy", "version", "digest", "case_id"}


@pytest.mark.parametrize("field", FIELD_EDITS)
def test_a_one_line_edit_to_any_decision_field_is_a_change(invoke, versions, field):
    old, new = versions("old"), versions("new", FIELD_EDITS[field])
    expected = expected_behaviour(old, new, RESTAURANT_CASES)
    assert expected["fields"][field] > 0  # the edit does move this field on some cases
    result = invoke("diff", old, new, "--cases", RESTAURANT_CASES, "--format", "json", "--workers", "1")
    assert result.exit_code == 1, result.stderr  # a CI gate on `diff --cases` sees the change
    report = json.loads(result.stdout)
    assert (report["changed"], report["unchanged"]) == (expected["changed"], expected["unchanged"])
    assert report["fields"] == expected["fields"]
    for name, delta in expected["amounts"].items():
        assert Decimal(report["amounts"][name]["delta"]) == delta, name

    text = invoke("diff", old, new, "--cases", RESTAURANT_CASES, "--no-color", "--workers", "1").stdout
    by_field = text[text.index("What changed in the changed cases, by field:"):].split("\n\n")[0]
    count = expected["fields"][field]
    line = re.search(rf"^  {field}\s+{count:,} cases?(.*)$", by_field, re.M)
    assert line, by_field
    if field in expected["amounts"]:
        delta = expected["amounts"][field]
        assert f"total {'+' if delta > 0 else '-' if delta < 0 else ''}{format_money(abs(delta), 'USD')}" in line.group(1)
    assert "@@" in text  # the text diff is shown with the behavioural one


def test_approver_changes_are_explained(invoke, versions):
    old = versions("old")
    new = versions("new", SERVER_LIMIT_LOWERED, RULE_RAISED, RUDE_STAFF_REMOVED)
    expected = expected_behaviour(old, new, RESTAURANT_CASES)
    report = json.loads(invoke("diff", old, new, "--cases", RESTAURANT_CASES, "--format", "json", "--workers", "1").stdout)
    assert {key: moved["cases"] for key, moved in report["approvers"].items()} == expected["approvers"]
    for moved in report["approvers"].values():
        assert moved["rule"] + moved["ceiling"] + moved["limits"] == moved["cases"]
    server = report["approvers"]["server -> shift_supervisor"]
    # A late catering ceiling raised past $50 (the same rule), and ceilings between $40 and $50 kept.
    assert server["ceiling"] > 0 and server["limits"] > 0 and server["rule"] == 0
    # Rude staff cases fall through to no rule: no approver, because no rule decides them.
    gone = report["approvers"]["server -> (none)"]
    assert gone["rule"] == gone["cases"] > 0
    text = invoke("diff", old, new, "--cases", RESTAURANT_CASES, "--no-color", "--workers", "1").stdout
    approvers = text[text.index("Approver changes (old -> new):"):].split("\n\n")[0]
    assert re.search(rf"^\s+{server['cases']:,}  server -> shift_supervisor  \({server['ceiling']:,} the same rule, a ceiling "
                     rf"across a limit; {server['limits']:,} the same ceiling: the authority limits changed\)$", approvers, re.M), approvers
    assert re.search(rf"^\s+{gone['cases']:,}  server -> \(none\)  \({gone['cases']:,} decided by another rule or none\)$",
                     approvers, re.M), approvers


@pytest.mark.parametrize("kind", ["missing", "truncated", "semicolons"])
def test_bad_case_files_in_a_diff(redress, versions, tmp_path, kind):
    old, new = versions("old"), versions("new", RULE_RAISED)
    path = tmp_path / "cases.csv"
    head = RESTAURANT_CASES.read_bytes().splitlines(keepends=True)[:11]
    if kind == "truncated":
        path.write_bytes(b"".join(head)[:-20])
    elif kind == "semicolons":
        path.write_bytes(b"".join(head).replace(b",", b";"))
    result = redress("diff", old, new, "--cases", path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert str(path) in result.stderr.strip().splitlines()[-1]
