"""YAML case files, and the YAML loader with exact decimals that Redress reads all its YAML with.

PyYAML has no streaming constructor, so a YAML case file is loaded whole: use YAML for small
hand-written files, and CSV, JSON Lines or Parquet for years of cases.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import IO, Any, Iterator

import yaml

from qa.casefiles.base import CaseFile, RawRow, kind_of, present_values, sniff_text


class DecimalLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML with exact decimals (`price: 100.02` is Decimal('100.02'), never a float) and dates kept
    as the text written, as a CSV cell would be. A Loader class, for readers that compose nodes
    themselves (policy tests take each test's line from its node's mark)."""


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
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problem = getattr(error, "problem", None) or str(error)
            raise self._error(f"is not valid YAML: {problem}", mark.line + 1 if mark else None) from None
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
