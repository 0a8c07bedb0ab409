"""`redress eval --jsonl` on the SQL engine: the lines already waiting on stdin, decided as one batch.

An agent that writes one line and waits gets its answer at once: each read takes what the pipe holds
(at least one byte, at most a megabyte), the complete lines in it are decided together, and their
decisions are written and flushed before the next read. Lines split as Python's text mode splits
them (`\\n`, `\\r\\n`, `\\r`), numbered from 1; an empty or malformed line, or an invalid case, gets
the very error object of the per-case path, in its place.
"""

from __future__ import annotations

import codecs
import re
import select
import sys
from json import dumps
from json.encoder import encode_basestring
from typing import Callable, Iterator

from engine.cases import CaseError
from engine.decision import Decision
from redress.evaluate import line_error, unreadable_line
from redress.inputs import load_checked_policy
from redress.output import to_json_line

READ_BYTES = 1 << 20
BATCH_BYTES = 1 << 23  # what is already waiting is read on, up to this much, into one batch
_BREAK = re.compile(r"\r\n|\r|\n")


def _case_id_json(raw) -> str:
    case_id = raw.get("id") if isinstance(raw, dict) else None
    if case_id.__class__ is str:
        return encode_basestring(case_id)
    if case_id is None:
        return "null"
    if case_id.__class__ is int:
        return str(case_id)
    return to_json_line(case_id)


def _complete_lines(stream, encoding: str, errors: str) -> Iterator[list[str]]:
    """Lists of complete lines (with their breaks), as they arrive; the last line may lack one.
    Bytes are decoded as stdin's text mode decodes them (its encoding and error handler)."""
    pending = ""
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = _waiting(stream, read)
        text = pending + decoder.decode(chunk, final=not chunk)
        if not chunk:
            if text:
                yield [text]
            return
        if text.endswith("\r"):  # a \r\n may be split across two reads
            text, held = text[:-1], "\r"
        else:
            held = ""
        pieces = _BREAK.split(text)
        breaks = _BREAK.findall(text)
        lines = [piece + brk for piece, brk in zip(pieces, breaks)]
        pending = pieces[-1] + held
        if lines:
            yield lines


def _waiting(stream, read) -> bytes:
    """At least one byte (blocking until there is one, or b"" at the end), then whatever else is
    already waiting, up to `BATCH_BYTES`: a query has a fixed cost, so a full pipe is one batch."""
    chunk = read(READ_BYTES)
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return chunk
    parts, size = [chunk], len(chunk)
    while chunk and size < BATCH_BYTES and select.select([descriptor], [], [], 0)[0]:
        chunk = read(READ_BYTES)
        parts.append(chunk)
        size += len(chunk)
        if not chunk:
            break
    return b"".join(parts)


def evaluate_jsonl_in_bulk(policy_path: str, summary: Callable[[int, int], int], published: bool = False) -> int:
    from qa.bulk import sql_refusal
    from qa.bulk_eval import BulkDecider
    from qa.exact_json import stream_decoder
    from redress.evaluate import evaluate_jsonl
    from redress.output import warn

    policy = load_checked_policy(policy_path, published).policy
    reason = sql_refusal(policy)
    if reason is not None:
        warn(f"{reason}; using the compiled engine")
        return evaluate_jsonl(policy_path, "compiled", False, published)
    decider = BulkDecider(policy)
    head = (f'{{"policy": {dumps(policy.name, ensure_ascii=False)}, "version": {dumps(policy.version, ensure_ascii=False)}, '
            f'"digest": {dumps(policy.digest)}, "case_id": ')
    decode = stream_decoder()
    write, invalid, count = sys.stdout.write, 0, 0
    for lines in _complete_lines(sys.stdin.buffer, sys.stdin.encoding or "utf-8", sys.stdin.errors or "strict"):
        raws, outputs = [], [None] * len(lines)
        for index, line in enumerate(lines):
            number = count + index + 1
            try:
                raws.append((index, decode(line)))
                continue
            except (ValueError, RecursionError):
                pass  # the per-case path says exactly what is wrong
            raw, problem = unreadable_line(line, number)
            if problem is not None:
                outputs[index] = to_json_line(problem[0])
                invalid += 1
            else:
                raws.append((index, raw))
        for (index, raw), result in zip(raws, decider.decide([raw for _, raw in raws])):
            if isinstance(result, str):
                outputs[index] = head + _case_id_json(raw) + ", " + result
            elif isinstance(result, Decision):
                outputs[index] = to_json_line(result.to_json())
            else:
                assert isinstance(result, CaseError)
                outputs[index] = to_json_line(line_error(raw.get("id") if isinstance(raw, dict) else None,
                                                         count + index + 1, result.to_json())[0])
                invalid += 1
        count += len(lines)
        write("\n".join(outputs) + "\n")
        sys.stdout.flush()
    return summary(invalid, count)
