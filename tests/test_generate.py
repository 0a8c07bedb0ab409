"""Synthetic historic cases: valid for their policy, realistic enough to exercise it, the same for
the same seed, and readable back from every case-file format."""

from __future__ import annotations

import os
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from dsl.checker import check_file
from qa.casefiles import open_cases
from qa.casewriters import write_cases
from engine.cases import CaseReader
from engine.decide import load_engine
from qa.generate import OFFERED_KEY, generate_cases, thresholds

REPO = Path(__file__).resolve().parents[1]
POLICY_FILES = sorted((REPO / "policies").glob("*.policy"))
POLICY_NAMES = [path.stem for path in POLICY_FILES]


def policy_named(name: str):
    return check_file(str(REPO / "policies" / f"{name}.policy")).policy


@pytest.fixture(scope="module")
def hardware():
    return policy_named("hardware_store")


def without_offered(case: dict) -> dict:
    return {key: value for key, value in case.items() if key != OFFERED_KEY}


def test_the_same_seed_gives_the_same_cases(hardware):
    assert list(generate_cases(hardware, 300, 7)) == list(generate_cases(hardware, 300, 7))


def test_different_seeds_give_different_cases(hardware):
    first, second = list(generate_cases(hardware, 300, 7)), list(generate_cases(hardware, 300, 8))
    assert sum(a != b for a, b in zip(first, second)) > 250


def test_ids_count_up(hardware):
    cases = list(generate_cases(hardware, 12, 1))
    assert [case["id"] for case in cases] == [f"C{i:06d}" for i in range(1, 13)]
    assert list(generate_cases(hardware, 0, 1)) == []


def test_columns_are_known_up_front(hardware):
    cases = generate_cases(hardware, 5, 1)
    assert cases.columns == ["id", *(field.name for field in hardware.fields), "offered"]
    assert all(set(case) <= set(cases.columns) for case in cases)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_every_generated_case_is_valid_and_offers_mostly_fall_in_the_range(name):
    policy = policy_named(name)
    reader, engine = CaseReader(policy), load_engine(policy, "compiled")
    status = Counter()
    rules = Counter()
    for case in generate_cases(policy, 2000, 2026):
        reader.read(without_offered(case))  # raises on any invalid case
        assert all(not isinstance(value, float) for value in case.values())
        decision = engine.decide(without_offered(case))
        rules[decision.rule] += 1
        offered = case.get(OFFERED_KEY)
        if offered is None:
            status["decided"] += 1
            continue
        assert offered == f"{Decimal(offered):.2f}"  # amounts as strings with two decimals
        amount = Decimal(offered)
        if decision.floor is None:
            status["no_rule"] += 1
        elif amount > decision.ceiling:
            status["over"] += 1
        elif amount < decision.floor:
            status["under"] += 1
        else:
            status["within"] += 1
    ranged = status["within"] + status["over"] + status["under"]
    assert status["within"] / ranged > 0.8
    assert 0.03 < status["over"] / ranged < 0.12
    assert status["under"] > 0 and status["decided"] > 0 and status["no_rule"] > 0
    assert len(rules) == len(policy.guidelines) + 1  # every rule reached, and the otherwise


def test_values_sit_on_the_policys_thresholds_a_fair_share_of_the_time(hardware):
    by_field, money, _ = thresholds(hardware)
    assert by_field["miles_driven"] == [Decimal(50)]
    assert Decimal(5000) in money and Decimal(2000) in money
    miles = Counter(Decimal(case.get("miles_driven", "0")) for case in generate_cases(hardware, 2000, 3))
    near = miles[Decimal(49)] + miles[Decimal(50)] + miles[Decimal(51)]
    assert 0.1 < near / 2000 < 0.35


def test_cost_is_mostly_below_price(hardware):
    cases = list(generate_cases(hardware, 2000, 5))
    below = sum(Decimal(case["cost"]) < Decimal(case["price"]) for case in cases)
    assert 0.8 < below / len(cases) < 1


def test_distributions_look_like_a_service_desk(hardware):
    cases = list(generate_cases(hardware, 4000, 11))
    prices = sorted(Decimal(case["price"]) for case in cases)
    assert Decimal(20) < prices[len(prices) // 2] < Decimal(150)  # a median in everyday money
    assert prices[0] >= 0
    legal = sum(case.get("legal_issue", False) for case in cases)
    assert 0.03 < legal / len(cases) < 0.15  # flags mostly off
    situations = Counter(case["situation"] for case in cases)
    assert situations.most_common(1)[0][0] == "defective_product" and situations["other"] < situations["wrong_item"]
    left_out = sum("years_expected" not in case for case in cases)
    assert left_out > len(cases) / 5  # defaults are often not written at all


@pytest.mark.parametrize("format", ["csv", "jsonl", "json", "yaml", "parquet", "arrow"])
def test_every_format_round_trips(tmp_path, hardware, format):
    path = tmp_path / f"cases.{format}"
    cases = list(generate_cases(hardware, 400, 13))
    assert write_cases(generate_cases(hardware, 400, 13), str(path), format) == 400
    reader = CaseReader(hardware)
    with open_cases(str(path)) as case_file:
        rows = list(case_file.rows())
        if format in ("csv", "parquet", "arrow"):
            assert case_file.columns == ["id", *(field.name for field in hardware.fields), "offered"]
    assert [row.number for row in rows] == [n + (1 if format == "csv" else 0) for n in range(1, 401)]
    for case, row in zip(cases, rows):
        assert row.error is None
        assert reader.read(without_offered(row.data)) == reader.read(without_offered(case))
        assert (Decimal(row.data[OFFERED_KEY]) if OFFERED_KEY in row.data else None) == \
               (Decimal(case[OFFERED_KEY]) if OFFERED_KEY in case else None)
        if format != "csv":
            assert row.data == case  # types kept too
    assert [name for name in os.listdir(tmp_path) if name != path.name] == []  # no temporary files left


def test_write_cases_by_extension_and_without_known_columns(tmp_path):
    cases = [{"id": "A", "price": "1.00"}, {"id": "B", "cost": "2.50", "flag": True}]
    write_cases(iter(cases), str(tmp_path / "plain.csv"))
    assert (tmp_path / "plain.csv").read_text() == "id,price,cost,flag\nA,1.00,,\nB,,2.50,true\n"
    write_cases(iter(cases), str(tmp_path / "plain.parquet"))
    with open_cases(str(tmp_path / "plain.parquet")) as case_file:
        assert [row.data for row in case_file.rows()] == cases
    with pytest.raises(ValueError):
        write_cases(cases, str(tmp_path / "cases.txt"))


def test_an_empty_set_of_cases_writes_readable_files(tmp_path, hardware):
    for format in ("csv", "jsonl", "json", "yaml", "parquet", "arrow"):
        path = tmp_path / f"none.{format}"
        assert write_cases(generate_cases(hardware, 0, 1), str(path), format) == 0
        if format != "jsonl":  # an empty JSON Lines file is an empty file
            with open_cases(str(path)) as case_file:
                assert list(case_file.rows()) == []


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, hardware):
    path = tmp_path / "cases.csv"
    path.write_text("id\nold\n")

    def failing():
        yield from generate_cases(hardware, 10, 1)
        raise RuntimeError("interrupted")

    for format in ("csv", "parquet", "arrow"):
        with pytest.raises(RuntimeError):
            write_cases(failing(), str(path), format, columns=["id", "price"])
        assert path.read_text() == "id\nold\n"
        assert os.listdir(tmp_path) == ["cases.csv"]


def test_write_cases_replaces_an_existing_file(tmp_path, hardware):
    path = tmp_path / "cases.jsonl"
    path.write_text("old\n")
    write_cases(generate_cases(hardware, 3, 1), str(path), "jsonl")
    assert len(path.read_text().splitlines()) == 3


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_the_sample_historic_case_files(name):
    policy = policy_named(name)
    path = REPO / "policies" / f"{name}.cases.csv"
    reader = CaseReader(policy)
    with open_cases(str(path)) as case_file:
        assert case_file.columns == ["id", *(field.name for field in policy.fields), "offered"]
        rows = list(case_file.rows())
    assert len(rows) == 2000
    for row in rows:
        assert row.error is None
        reader.read(without_offered(row.data))
