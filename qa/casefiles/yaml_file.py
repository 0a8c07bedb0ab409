"""YAML case files, and the YAML loader with exact decimals that Redress reads all its YAML with.

PyYAML has no streaming constructor, so a YAML case file is loaded whole: use YAML for small
hand-written files, and CSV, JSON Lines or Parquet for years of cases.

Aliases (`*name`) are bounded: PyYAML shares an aliased value rather than copying it, but anything
that walks the result (a merge key, a message naming a value, a writer) pays for every copy, and a
900-byte file of chained aliases stands for a billion values. So before a document is constructed,
its nodes are counted as if every alias were written out (linear in the nodes there are), and a
document whose aliases expand it past `ALIAS_EXPANSION` times its size is refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import IO, Any, Iterator

import yaml

from qa.casefiles.base import CaseFile, RawRow, kind_of, present_values, sniff_text


ALIAS_EXPANSION = 10  # a document may stand for at most this many times its own nodes ...
ALIAS_ALLOWANCE = 10_000  # ... or this many, whichever is more


class AliasError(yaml.YAMLError):
    """A document whose aliases expand it beyond the bound (or into itself)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, None


class DecimalLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML with exact decimals (`price: 100.02` is Decimal('100.02'), never a float), dates kept
    as the text written, as a CSV cell would be, and aliases bounded. A Loader class, for readers
    that compose nodes themselves (policy tests take each test's line from its node's mark)."""

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            check_aliases(node)
        return node


def check_aliases(root: yaml.Node) -> None:
    """Raise `AliasError` if the document's aliases expand it too far, or into itself. One pass over
    the distinct nodes, iterative (no recursion limit), each node's expanded count kept once."""
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    cap = 1 << 62
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            on_path.discard(key)
            expanded[key] = min(cap, 1 + sum(expanded[id(child)] for child in children))
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise AliasError("an alias refers to a value that contains it: the value would be endless")
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in expanded)
    bound = max(ALIAS_EXPANSION * len(expanded), ALIAS_ALLOWANCE)
    if expanded[id(root)] > bound:
        raise AliasError(f"its aliases (`*name`) stand for more than {bound:,} values though the file has "
                         f"{len(expanded):,}; write the values out, or use fewer aliases")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode):
    text = loader.construct_scalar(node)
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return loader.construct_yaml_float(node)


DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
DecimalLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def load_yaml(text: str | IO) -> Any:
    """YAML with exact decimals, for anything Redress reads as YAML."""
    return yaml.load(text, Loader=DecimalLoader)


class YamlFile(CaseFile):
    """A YAML list of mappings, loaded whole (PyYAML cannot stream a list's items)."""

    format = "yaml"

    def __init__(self, path: str, stream: IO[bytes], own_stream: bool = True):
        super().__init__(path, stream, own_stream)
        sniff_text(self, stream)
        try:
            self._items = load_yaml(stream.read().decode("utf-8-sig"))
        except UnicodeDecodeError as error:
            raise self._error(f"is not UTF-8 text (byte 0x{error.object[error.start]:02x}); save it as UTF-8") from None
        except AliasError as error:
            raise self._error(f"is refused: {error.problem}") from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            raise self._error(f"is not valid YAML: {problem}", mark.line + 1 if mark else None) from None
        except (ValueError, RecursionError) as error:  # an integer of over 4,300 digits; nesting past Python's stack
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error).split(":")[0]
            raise self._error(f"cannot be read: {reason}") from None
        if self._items is None:
            raise self._error("is empty; expected a list of cases")
        if not isinstance(self._items, list):
            raise self._error("is not a YAML list; expected one `- field: value` entry per case", 1)

    def rows(self) -> Iterator[RawRow]:
        items, self._items = self._items, []
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                yield RawRow(number, present_values(item), None, None)
            else:
                yield RawRow(number, None, f"item {number} is {kind_of(item)}, not an object", None)
