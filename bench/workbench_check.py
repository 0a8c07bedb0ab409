"""The workbench's live check on a 2,000-line policy: how soon after a pause in typing the problems
list is up to date, against the bare check of the same text run side by side.

The workbench waits `CHECK_DELAY` seconds of quiet after the last keystroke, then checks the text in
a worker thread and posts the result. The figure that matters to a policy owner is the delay from
that pause to the problems list (the debounce plus the check plus the message round trip); the
bare `check_source` + `load_engine` of the same text in the same process is the baseline, so the
ratio says what the app adds, whatever the machine's speed.

    .venv/bin/python bench/workbench_check.py            # 5 rounds
    .venv/bin/python bench/workbench_check.py --rounds 9
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dsl.checker import check_source  # noqa: E402
from engine.decide import load_engine  # noqa: E402
from textual.widgets import TextArea  # noqa: E402

from workbench.app import WorkbenchApp  # noqa: E402
from workbench.messages import CheckFinished  # noqa: E402
from workbench.screens.main import CHECK_DELAY  # noqa: E402


def long_policy() -> str:
    """The hardware store sample with its rules copied 30 times: over 2,000 lines."""
    source = (REPO / "policies" / "hardware_store.policy").read_text()
    head, rules = source.split('rule "Legal claim"', 1)
    rules = 'rule "Legal claim"' + rules.replace("otherwise escalate to supervisor", "")
    copies = [rules.replace('\nrule "', f'\nrule "{n} ').replace('rule "Legal claim"', f'rule "{n} Legal claim"')
              for n in range(30)]
    return head + "".join(copies) + "otherwise escalate to supervisor\n"


def bare_check(text: str, path: str) -> float:
    started = time.perf_counter()
    result = check_source(text, path)
    if result.ok:
        load_engine(result.policy, "compiled")
    return time.perf_counter() - started


async def app_latency(path: Path) -> float:
    """Seconds from the last keystroke's edit reaching the editor (which restarts the debounce) to
    the `CheckFinished` of the typed text reaching the screen."""
    finished = asyncio.Event()
    app = WorkbenchApp(str(path), None, cursor_blink=False)
    edited: list[float] = []
    handled: list[float] = []

    def hook(message) -> None:
        if isinstance(message, TextArea.Changed):
            edited.append(time.perf_counter())
        elif isinstance(message, CheckFinished) and message.generation == app.main_screen.generation > 0:
            handled.append(time.perf_counter())
            finished.set()

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.main_screen
        screen.editor.move_cursor((screen.editor.document.line_count - 1, 0))
        await pilot.press(*"let x = y")
        await asyncio.wait_for(finished.wait(), 30)
        await pilot.pause()
    return handled[0] - edited[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    text = long_policy() + "let x = y\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.policy"
        path.write_text(long_policy())
        bare, in_app = [], []
        for _ in range(args.rounds):  # interleaved, so both see the same load on the machine
            bare.append(bare_check(text, str(path)))
            in_app.append(asyncio.run(app_latency(path)))
    lines = text.count("\n")
    bare_ms, app_ms = 1000 * statistics.median(bare), 1000 * statistics.median(in_app)
    print(f"policy: {lines:,} lines; debounce {1000 * CHECK_DELAY:.0f} ms; {args.rounds} rounds, medians")
    print(f"bare check_source + load_engine      {bare_ms:8.1f} ms")
    print(f"workbench: keystroke -> problems     {app_ms:8.1f} ms  (after the debounce: {app_ms - 1000 * CHECK_DELAY:.1f} ms)")
    print(f"ratio (after the debounce / bare)    {(app_ms - 1000 * CHECK_DELAY) / bare_ms:8.2f}")


if __name__ == "__main__":
    main()
