"""Hostile policies: does the cost grow linearly with the size of the attack?

Each case from issue 8 is run at a size N and at 4N, in-process, and the ratio of the two times is
printed: about 4 is linear, about 16 quadratic. Ratios, not seconds, so the figure means the same
on a busy machine. Run: `.venv/bin/python bench/hostile_policies.py [--scale K]` (K multiplies
every N; default 1, about a minute).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dsl.checker import check_source  # noqa: E402
from dsl.formatter import format_source  # noqa: E402
from engine.decide import load_engine  # noqa: E402

HEAD = 'policy "x"\nversion "1"\ncurrency USD\n\n'
TAIL = '\nauthority\n  boss\n\nrule "a"\n  when price > $1\n  offer up to price\n\notherwise escalate to boss\n'


def one_of(count: int) -> str:
    values = ", ".join(f"v{i}" for i in range(count))
    return (HEAD + f"case\n  k: one of {values}\n  price: money\n\nauthority\n  boss\n\n"
            f'rule "a"\n  when k is one of {values}\n  offer up to price\n\notherwise escalate to boss\n')


def comments(count: int) -> str:
    return HEAD + "case\n  price: money\n" + "# a comment line, as long as people write them\n" * count + TAIL


def lets_backwards(count: int) -> str:
    lets = "".join(f"let l{i} = l{i + 1} + $1\n" for i in range(count - 1)) + f"let l{count - 1} = price\n"
    return HEAD + "case\n  price: money\n" + lets + TAIL


def commented_lets(count: int) -> str:
    lets = "".join(f"# about l{i}\nlet l{i} = price + ${i}  # l{i}\n" for i in range(count))
    return HEAD + "case\n  price: money\n" + lets + TAIL


def load(kind: str):
    def run(text: str) -> None:
        engine = load_engine(check_source(text).policy, kind)
        engine.decide({"k": "v1", "price": 5})

    return run


CASES = [
    # (name, policy builder, what is timed, N)
    ("one of N values, durable load + decide", one_of, load("durable"), 1_000),
    ("one of N values, compiled load + decide", one_of, load("compiled"), 2_500),
    ("N comment lines, check", comments, check_source, 10_000),
    ("N lets written backwards, check", lets_backwards, check_source, 5_000),
    ("N commented lets, fmt", commented_lets, format_source, 2_500),
]


def seconds(step, text: str) -> float:
    started = time.perf_counter()
    step(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    scale = parser.parse_args().scale
    print(f"{'case':45} {'N':>7} {'t(N) s':>8} {'t(4N) s':>8} {'ratio':>6}")
    for name, build, step, size in CASES:
        size = int(size * scale)
        small, large = seconds(step, build(size)), seconds(step, build(4 * size))
        print(f"{name:45} {size:>7} {small:>8.2f} {large:>8.2f} {large / small:>6.1f}")


if __name__ == "__main__":
    main()
