"""A progress line on stderr for long runs, only when stderr is a terminal (silent when piped)."""

from __future__ import annotations

import sys
import time


class Progress:
    """`tick()` once per case; redraws at most four times a second."""

    def __init__(self, label: str, enabled: bool | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self.count = 0
        self.started = time.perf_counter()
        self._next_draw = self.started + 0.25

    def __enter__(self) -> "Progress":
        return self

    def tick(self, count: int = 1) -> None:
        self.count += count
        if self.enabled and time.perf_counter() >= self._next_draw:
            self._draw()

    def _draw(self, final: bool = False) -> None:
        now = time.perf_counter()
        self._next_draw = now + 0.25
        rate = self.count / max(now - self.started, 1e-9)
        self.stream.write(f"\r{self.label}: {self.count:,} cases, {rate:,.0f}/s" + ("\n" if final else ""))
        self.stream.flush()

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._draw(final=True)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
