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

from engine.cases import CASE_ID_KEY, OFFERED_KEY, CaseError, case_id_of, read_case_id
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


def _unusual_ids(raws: list, positions: list[int], outputs: list, count: int) -> list[int]:
    """`positions` without the cases whose `id` the case reader refuses; those get its error in
    `outputs` (SQL carries the id through unread, so it is read here, as the per-case path reads
    it). A missing id, a whole number or an ASCII text is always read; only the others are tried."""
    unusual = {index for index in positions if raws[index].__class__ is dict
               and (case_id := raws[index].get(CASE_ID_KEY)) is not None and case_id.__class__ is not int
               and not (case_id.__class__ is str and case_id.isascii())}
    refused = set()
    for index in sorted(unusual):
        try:
            read_case_id(raws[index][CASE_ID_KEY])
        except CaseError as error:
            outputs[index] = to_json_line(line_error(None, count + index + 1, error.to_json())[0])
            refused.add(index)
    return [index for index in positions if index not in refused] if refused else positions


def _complete_blocks(stream) -> Iterator[bytes]:
    """Blocks of complete lines (each with its `\\n`), as they arrive; the last line of the input
    may lack one. Lines are split at `\\n` as `readline` splits them, so each is decoded (or
    refused) on its own, exactly as on the per-case path."""
    pending = b""
    read = getattr(stream, "read1", stream.read)
    while True:
        chunk = _waiting(stream, read)
        if not chunk:
            if pending:
                yield pending
            return
        data = pending + chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut]
        pending = data[cut:]


def _cases_in(block: bytes, count: int, decode, decode_objects, offered: OfferedNote) -> tuple[list, list]:
    """The raw case of each line of the block, and per line its error object's JSON (None where
    the line was read). A block of one object per line is decoded in one call; otherwise line by
    line, as the per-case path reads a line."""
    objects = decode_objects(block)
    if objects is not None:
        outputs = [None] * len(objects)
        if offered.applies and any(OFFERED_KEY in raw for raw in objects):
            objects = [offered.without_offered(raw) for raw in objects]
        return objects, outputs
    lines = [line + b"\n" for line in block.split(b"\n")]
    if block.endswith(b"\n"):
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    raws, outputs = [None] * len(lines), [None] * len(lines)
    for index, line in enumerate(lines):
        try:
            raws[index] = offered.without_offered(decode(line))
            continue
        except (ValueError, RecursionError):
            pass  # the per-case path says exactly what is wrong
        raw, problem = unreadable_line(line, count + index + 1)
        if problem is not None:
            outputs[index] = to_json_line(problem[0])
        else:
            raws[index] = offered.without_offered(raw)
    return raws, outputs


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
    from qa.exact_json import objects_decoder, stream_decoder
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
    decode, decode_objects = stream_decoder(), objects_decoder()
    write, invalid, count = sys.stdout.write, 0, 0
    offered = OfferedNote(policy)
    for block in _complete_blocks(sys.stdin.buffer):
        if count == 0:
            block = block.removeprefix(UTF8_BOM)
        raws, outputs = _cases_in(block, count, decode, decode_objects, offered)
        positions = [index for index, output in enumerate(outputs) if output is None]
        positions = _unusual_ids(raws, positions, outputs, count)
        invalid += len(outputs) - len(positions)
        decided = raws if len(positions) == len(raws) else [raws[index] for index in positions]
        for index, result in zip(positions, decider.decide(decided)):
            if result.__class__ is str:
                outputs[index] = head + _case_id_json(raws[index]) + ", " + result
            elif isinstance(result, Decision):
                outputs[index] = to_json_line(result.to_json())
            else:
                assert isinstance(result, CaseError)
                outputs[index] = to_json_line(line_error(case_id_of(raws[index]), count + index + 1, result.to_json())[0])
                invalid += 1
        count += len(outputs)
        write("\n".join(outputs) + "\n")
        sys.stdout.flush()
    return summary(invalid, count)
