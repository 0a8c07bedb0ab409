"""`redress eval --jsonl` on the SQL engine: the lines already waiting on stdin, decided as one batch.

An agent that writes one line and waits gets its answer at once: each read takes what has arrived
(at least one byte), reads on while more keeps coming (up to `BATCH_BYTES`), and the complete lines
are decided together and written and flushed before the next read. Lines split at `\\n` as the
per-case path splits them, numbered from 1; an empty or malformed line, or an invalid case, gets
the very error object of the per-case path, in its place.

Most lines never become Python objects: `qa.bulk_jsonl` has DuckDB prove a line plain and write its
whole output line. The lines it hands back (another key order, an escape, an exponent, junk) are
decoded here and decided in one batch by `qa.bulk_eval.BulkDecider`, as before.
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
_LARGE_STRING_ID = 34  # pyarrow's type id of large_string (int64 offsets); DuckDB gives string (int32)
BATCH_BYTES = 1 << 25  # what is already waiting is read on, up to this much, into one batch
# A pipe holds 64 KiB: a writer such as `cat` or `zcat` refills it within microseconds of a read, but
# not before a zero-timeout `select` looks, so each batch was one pipe's worth (1M lines: 230 s
# through a pipe, 5 s from a file). A pause this long ends a batch; an agent that writes one line
# and waits gets its answer this much later, which it cannot notice.
FOLLOW_SECONDS = 0.005


def _case_id_json(raw) -> str:
    case_id = raw.get("id") if isinstance(raw, dict) else None
    if case_id.__class__ is str:
        return encode_basestring(case_id)
    if case_id is None:
        return "null"
    if case_id.__class__ is int:
        return str(case_id)
    return to_json_line(case_id)


def _refused_ids(raws: list, positions: list[int]) -> set[int]:
    """Those of `positions` whose `id` the case reader refuses. SQL carries the id through unread,
    so such a case goes to the compiled engine, which reports whichever of its problems it checks
    first, as the per-case path does. A missing id, a whole number or an ASCII text is always
    read; only the others are tried."""
    refused = set()
    for index in positions:
        raw = raws[index]
        case_id = raw.get(CASE_ID_KEY) if raw.__class__ is dict else None
        if case_id is None or case_id.__class__ is int or (case_id.__class__ is str and case_id.isascii()):
            continue
        try:
            read_case_id(case_id)
        except CaseError:
            refused.add(index)
    return refused


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


def _lines_of(block: bytes) -> list[bytes]:
    """The block's lines, each with its `\\n` (the last line of the input may lack one)."""
    lines = [line + b"\n" for line in block.split(b"\n")]
    if block.endswith(b"\n"):
        lines.pop()
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def _cases_in(block: bytes | None, lines: list[bytes], numbers: list[int], decode, decode_objects,
              offered: OfferedNote) -> tuple[list, list]:
    """The raw case of each line (numbered `numbers`), and per line its error object's JSON (None
    where the line was read). A whole block of one object per line is decoded in one call;
    otherwise line by line, as the per-case path reads a line."""
    objects = decode_objects(block) if block is not None else None
    if objects is not None:
        outputs = [None] * len(objects)
        if offered.applies and any(OFFERED_KEY in raw for raw in objects):
            objects = [offered.without_offered(raw) for raw in objects]
        return objects, outputs
    raws, outputs = [None] * len(lines), [None] * len(lines)
    for index, line in enumerate(lines):
        try:
            raws[index] = offered.without_offered(decode(line))
            continue
        except (ValueError, RecursionError):
            pass  # the per-case path says exactly what is wrong
        raw, problem = unreadable_line(line, numbers[index])
        if problem is not None:
            outputs[index] = to_json_line(problem[0])
        else:
            raws[index] = offered.without_offered(raw)
    return raws, outputs


def _waiting(stream, read) -> bytes:
    """At least one byte (blocking until there is one, or b"" at the end), then whatever else
    arrives without a pause of `FOLLOW_SECONDS`, up to `BATCH_BYTES`: a query has a fixed cost of
    tens of milliseconds, so a file or a pipe still being filled is one batch, not hundreds."""
    chunk = read(READ_BYTES)
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return chunk
    parts, size = [chunk], len(chunk)
    while chunk and size < BATCH_BYTES and select.select([descriptor], [], [], FOLLOW_SECONDS)[0]:
        chunk = read(READ_BYTES)
        parts.append(chunk)
        size += len(chunk)
        if not chunk:
            break
    return b"".join(parts)


class _PerLine:
    """Lines decided one by one as Python reads them (in one batch on the SQL engine): every line
    SQL cannot prove plain, with the very errors of the per-case path."""

    def __init__(self, decider, head: str, offered: OfferedNote):
        from qa.exact_json import objects_decoder, stream_decoder

        self.decider, self.head, self.offered = decider, head, offered
        self.decode, self.decode_objects = stream_decoder(), objects_decoder()
        self.invalid = 0

    def outputs(self, block: bytes | None, lines: list[bytes], numbers: list[int]) -> list[str]:
        """Each line's output (without its `\\n`); `block`: the lines' own bytes, when they are a
        whole block (then decoded in one call if they can be)."""
        raws, outputs = _cases_in(block, lines, numbers, self.decode, self.decode_objects, self.offered)
        positions = [index for index, output in enumerate(outputs) if output is None]
        self.invalid += len(outputs) - len(positions)
        refused = _refused_ids(raws, positions)
        on_sql = [index for index in positions if index not in refused] if refused else positions
        decided = raws if len(on_sql) == len(raws) else [raws[index] for index in on_sql]
        results = [*zip(on_sql, self.decider.decide(decided)), *((index, self.decider.by_engine(raws[index])) for index in refused)]
        for index, result in results:
            if result.__class__ is str:
                outputs[index] = self.head + _case_id_json(raws[index]) + ", " + result
            elif isinstance(result, Decision):
                outputs[index] = to_json_line(result.to_json())
            else:
                assert isinstance(result, CaseError)
                outputs[index] = to_json_line(line_error(case_id_of(raws[index]), numbers[index], result.to_json())[0])
                self.invalid += 1
        return outputs


class BulkLines:
    """Answers blocks of complete input lines for one policy, in order: SQL's plain lines, then
    Python's for the rest; the output is byte for byte the per-case path's."""

    def __init__(self, policy):
        from qa.bulk_eval import BulkDecider
        from qa.bulk_jsonl import JsonLines

        self.decider = BulkDecider(policy)
        head = (f'{{"policy": {dumps(policy.name, ensure_ascii=False)}, "version": {dumps(policy.version, ensure_ascii=False)}, '
                f'"digest": {dumps(policy.digest)}, "case_id": ')
        self.offered = OfferedNote(policy)
        self.per_line = _PerLine(self.decider, head, self.offered)
        self.plain = JsonLines(self.decider.con, policy, head, self.offered.applies)
        self.count = 0  # lines answered so far

    @property
    def invalid(self) -> int:
        return self.per_line.invalid

    def answers(self, block: bytes) -> list[str | memoryview]:
        """The output of the block's lines, each line with its `\\n`: texts, and runs of lines
        SQL wrote as they are (its result's UTF-8 bytes, with no copy)."""
        if self.count == 0:
            block = block.removeprefix(UTF8_BOM)
        decided = self.plain.decide(block, self.decider.threads)
        if decided is None:
            lines = _lines_of(block)
            outputs = self.per_line.outputs(block, lines, list(range(self.count + 1, self.count + len(lines) + 1)))
            self.count += len(lines)
            return ["\n".join(outputs) + "\n"]
        texts, offered_seen, cut = decided
        if offered_seen:
            self.offered.without_offered({OFFERED_KEY: None})  # its note, once, as the per-line path says it
        answers = _with_handed_back(texts, cut, block.endswith(b"\n"), self.count, self.per_line)
        self.count += len(texts)
        return answers


def _with_handed_back(texts, cut, ends_with_newline: bool, count: int, per_line: _PerLine) -> list[str | memoryview]:
    """The output lines SQL wrote (its result's bytes as they are, a run at a time), and in their
    places those of the lines it handed back, which alone become Python objects (`cut`: each
    line's bytes, without its `\\n`)."""
    import pyarrow.compute as pc

    if not texts.null_count:
        return [_chunk_bytes(chunk) for chunk in texts.chunks]
    back = pc.indices_nonzero(pc.is_null(texts)).to_pylist()
    last = len(cut) - 1
    lines = [cut[index].as_py() + (b"" if index == last and not ends_with_newline else b"\n") for index in back]
    handed = iter(per_line.outputs(None, lines, [count + index + 1 for index in back]))
    answers: list[str | memoryview] = []
    for chunk in texts.chunks:
        nulls = pc.indices_nonzero(pc.is_null(chunk)).to_pylist() if chunk.null_count else []
        run = 0
        for index in nulls:
            if index > run:
                answers.append(_chunk_bytes(chunk.slice(run, index - run)))
            answers.append(next(handed) + "\n")
            run = index + 1
        if run < len(chunk):
            answers.append(_chunk_bytes(chunk.slice(run)))
    return answers


def _chunk_bytes(chunk) -> memoryview:
    """The UTF-8 bytes of all the strings of an Arrow string array with no NULL, end to end."""
    _, offsets, data = chunk.buffers()
    offsets = memoryview(offsets).cast("q" if chunk.type.id == _LARGE_STRING_ID else "i")
    return memoryview(data)[offsets[chunk.offset]:offsets[chunk.offset + len(chunk)]]


def evaluate_jsonl_in_bulk(policy_path: str, summary: Callable[[int, int], int], published: bool = False) -> int:
    from qa.bulk import sql_refusal
    from redress.evaluate import evaluate_jsonl
    from redress.output import warn

    policy = load_checked_policy(policy_path, published).policy
    reason = sql_refusal(policy)
    if reason is not None:
        warn(f"{reason}; using the compiled engine")
        return evaluate_jsonl(policy_path, "compiled", False, published)
    lines = BulkLines(policy)
    with _Writer() as writer:
        for block in _complete_blocks(sys.stdin.buffer):
            writer.put(lines.answers(block))
    return summary(lines.invalid, lines.count)


class _Writer:
    """Writes each block's answers, in order and flushed, on a thread of its own: writing a million
    decisions (about 900 MB) is a fifth of the work, and goes on while the next block is decided
    (DuckDB does not hold the interpreter while it runs). One block may wait, so memory stays that
    of two blocks. An error in writing (a closed pipe) is raised in the reading thread."""

    def __init__(self):
        import queue
        import threading

        self.waiting: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write_all, name="jsonl-writer", daemon=True)
        self.thread.start()

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, *exc_info) -> None:
        self.waiting.put(None)
        self.thread.join()
        if self.error is not None and exc_info[0] is None:
            raise self.error

    def put(self, answers: list[str | memoryview]) -> None:
        if self.error is not None:
            raise self.error
        self.waiting.put(answers)

    def _write_all(self) -> None:
        while (answers := self.waiting.get()) is not None:
            if self.error is not None:
                continue  # taken and dropped, so the reading thread never waits on a full queue
            try:
                for answer in answers:
                    if answer.__class__ is str:
                        sys.stdout.write(answer)
                    else:
                        sys.stdout.flush()
                        sys.stdout.buffer.write(answer)
                sys.stdout.flush()
            except BaseException as error:  # noqa: BLE001 - handed to the reading thread, which raises it
                self.error = error
