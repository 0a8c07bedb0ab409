"""A long stream of cases through `redress eval POLICY --jsonl`, as a pipeline would run it.

The cases are generated as they are written, so the benchmark holds no million-line file in
memory; a feeder thread writes stdin while the main thread counts output lines, so neither pipe
can fill up and stall the other.

Peak memory comes from GNU time (`/usr/bin/time -f %M`), not from our own `wait4` or
RUSAGE_CHILDREN: on Linux a child spawned from this (large) benchmark process starts out sharing
its pages, and that high-water mark survives the `exec`, so every child would seem to be as big as
the benchmark itself. `time` is small, and the CLI is its child, not ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Iterator

GNU_TIME = "/usr/bin/time"
LINES_PER_WRITE = 2_000
READ_SIZE = 1 << 16


@dataclass(frozen=True)
class StreamResult:
    engine: str
    lines_in: int
    lines_out: int
    seconds: float
    cpu_seconds: float
    max_rss_mib: float | None
    exit_code: int
    first_line_ok: bool
    stderr_tail: str

    def to_json(self) -> dict:
        return {
            "engine": self.engine, "lines_in": self.lines_in, "lines_out": self.lines_out,
            "all_lines_answered": self.lines_in == self.lines_out, "exit_code": self.exit_code,
            "first_line_is_a_decision": self.first_line_ok,
            "seconds": round(self.seconds, 3), "cases_per_second": round(self.lines_out / self.seconds, 1),
            "child_cpu_seconds": round(self.cpu_seconds, 3),
            "cases_per_cpu_second": round(self.lines_out / self.cpu_seconds, 1) if self.cpu_seconds else None,
            "max_rss_mib": None if self.max_rss_mib is None else round(self.max_rss_mib, 1),
            "stderr_tail": self.stderr_tail,
        }


def json_lines(cases: Iterable[dict]) -> Iterator[bytes]:
    """One compact JSON object per line, encoded lazily."""
    encode = json.JSONEncoder(separators=(",", ":")).encode
    for case in cases:
        yield (encode(case) + "\n").encode()


def stream_through_cli(redress: str, policy_path: str, engine: str, lines: Iterator[bytes]) -> StreamResult:
    """Run one `redress eval --jsonl` over the whole stream; wall time includes the CLI's start."""
    command = [redress, "eval", policy_path, "--jsonl", "--engine", engine]
    with tempfile.TemporaryFile() as stderr, tempfile.NamedTemporaryFile("r") as usage:
        if os.path.exists(GNU_TIME):
            command = [GNU_TIME, "--format", "%M %U %S", "--output", usage.name, *command]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        sent = [0]
        feeder = threading.Thread(target=_feed, args=(child.stdin, lines, sent), daemon=True)
        feeder.start()
        received, first_line = _count_lines(child.stdout)
        feeder.join()
        _, status, rusage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        stderr_tail = stderr.read()[-400:].decode(errors="replace")
        # the last line: GNU time puts "Command exited with non-zero status N" above it
        measured = (usage.read().strip().splitlines() or [""])[-1].split()
    if len(measured) == 3:
        max_rss_mib, cpu_seconds = int(measured[0]) / 1024, float(measured[1]) + float(measured[2])
    else:  # no GNU time: CPU from wait4 is still right; peak memory would not be
        max_rss_mib, cpu_seconds = None, rusage.ru_utime + rusage.ru_stime
    return StreamResult(engine, sent[0], received, seconds, cpu_seconds, max_rss_mib, child.returncode,
                        _is_decision(first_line), stderr_tail)


def _feed(stdin: BinaryIO, lines: Iterator[bytes], sent: list[int]) -> None:
    """Write the stream in slices; a child that dies early shows up as a short count, not a hang."""
    try:
        batch: list[bytes] = []
        for line in lines:
            batch.append(line)
            if len(batch) == LINES_PER_WRITE:
                stdin.write(b"".join(batch))
                sent[0] += len(batch)
                batch.clear()
        stdin.write(b"".join(batch))
        sent[0] += len(batch)
    except BrokenPipeError:
        pass
    finally:
        try:
            stdin.close()
        except BrokenPipeError:
            pass


def _count_lines(stdout: BinaryIO) -> tuple[int, bytes]:
    """Count newlines in large reads (a million decisions is most of a gigabyte of JSON), keeping
    the first line for a sanity check."""
    count, first = 0, b""
    while chunk := stdout.read(READ_SIZE):
        if not first:
            first = chunk
        elif b"\n" not in first:
            first += chunk
        count += chunk.count(b"\n")
    return count, first.split(b"\n", 1)[0]


def _is_decision(line: bytes) -> bool:
    try:
        decoded = json.loads(line)
    except ValueError:
        return False
    return isinstance(decoded, dict) and "rule" in decoded and "error" not in decoded
