"""`redress eval --jsonl` on the SQL engine: the lines already waiting on stdin, decided as one batch.

An agent that writes one line and waits gets its answer at once: each read takes what the pipe holds
(at least one byte, at most a megabyte), the complete lines in it are decided together, and their
decisions are written and flushed before the next read. Lines split at `\\n` as the per-case path
splits them, numbered from 1; an empty or malformed line, or an invalid case, gets
the very error object of the per-case path, in its place.
"""

from __future__ import annotations

import select
import sys
from json import dumps
from json.encoder import encode_basestring
from typing import Callable, Iterator

from engine.cases import CASE_ID_KEY, CaseError, case_id_of, read_case_id
from engine.decision import Decision
from redress.evaluate import UTF8_BOM, OfferedNote, line_error, unreadable_line
from redress.inputs import load_checked_policy
from redress.output import to_json_line

READ_BYTES = 1 << 20
BATCH_BYTES = 1 << 23  # what is already waiting is read on, up to this much, into one batch


def _case_id_json(raw) -> str:
    case_id = raw.get("id") if isinstance(raw, dict) else None
    if case_id.__class__ is str:
        return encode_basestring(case_id)
    if case_id is None:
        return "null"
    if case_id.__class__ is int:
        return str(case_id)
    return to_json_line(case_id)


def _with_readable_ids(raws: list, outputs: list, count: int) -> list:
    """The cases whose `id` the case reader accepts; the others get its error in `outputs` (SQL
    carries the id through unread, so it is read here, as the per-case path reads it)."""
    kept = []
    for index, raw in raws:
        try:
            if isinstance(raw, dict):
                read_case_id(raw.get(CASE_ID_KEY))
        except CaseError as error:
            outputs[index] = to_json_line(line_error(None, count + index + 1, error.to_json())[0])
            continue
        kept.append((index, raw))
    return kept


def _complete_lines(stream) -> Iterator[list[bytes]]:
    """Lists of complete lines (with their `\\n`), as they arrive; the last line may lack one.
    Lines are bytes, split as `readline` splits them, so each is decoded (or refused) on its own,
    exactly as on the per-case path."""
    pending = b""
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = _waiting(stream, read)
        if not chunk:
            if pending:
                yield [pending]
            return
        pieces = (pending + chunk).split(b"\n")
        pending = pieces.pop()
        if pieces:
            yield [piece + b"\n" for piece in pieces]


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
    offered = OfferedNote(policy)
    for lines in _complete_lines(sys.stdin.buffer):
        raws, outputs = [], [None] * len(lines)
        if count == 0:
            lines[0] = lines[0].removeprefix(UTF8_BOM)
        for index, line in enumerate(lines):
            number = count + index + 1
            try:
                raws.append((index, offered.without_offered(decode(line))))
                continue
            except (ValueError, RecursionError):
                pass  # the per-case path says exactly what is wrong
            raw, problem = unreadable_line(line, number)
            if problem is not None:
                outputs[index] = to_json_line(problem[0])
            else:
                raws.append((index, offered.without_offered(raw)))
        raws = _with_readable_ids(raws, outputs, count)
        invalid += sum(output is not None for output in outputs)
        for (index, raw), result in zip(raws, decider.decide([raw for _, raw in raws])):
            if isinstance(result, str):
                outputs[index] = head + _case_id_json(raw) + ", " + result
            elif isinstance(result, Decision):
                outputs[index] = to_json_line(result.to_json())
            else:
                assert isinstance(result, CaseError)
                outputs[index] = to_json_line(line_error(case_id_of(raw), count + index + 1, result.to_json())[0])
                invalid += 1
        count += len(lines)
        write("\n".join(outputs) + "\n")
        sys.stdout.flush()
    return summary(invalid, count)
