"""`@record`: a frozen dataclass whose methods are written once, here, instead of once per class.

`@dataclass(frozen=True)` generates `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`
and `__delattr__` for every class by compiling source text (Python 3.13 batches that; 3.11 and 3.12
compile each one apart). Over the syntax tree's forty classes that was most of `redress eval`'s
start-up, which every call of the CLI pays. A record is still a dataclass (`dataclasses.fields`,
`replace` and `asdict` work, fields keep `compare=False` and `repr=False`) and behaves like a frozen
one: the same constructor, equality, hash and repr, and `FrozenInstanceError` on assignment. Its
methods are shared by every record and read the field names from tuples computed once per class.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, fields

_set = object.__setattr__


def _init(self, *args, **kwargs):
    names = self._record_names
    if len(args) > len(names):
        raise TypeError(f"{type(self).__name__}() takes {len(names)} arguments but {len(args)} were given")
    for name, value in zip(names, args):
        _set(self, name, value)
    defaults = self._record_defaults
    for name in names[len(args):]:
        if name in kwargs:
            _set(self, name, kwargs.pop(name))
        elif name in defaults:
            _set(self, name, defaults[name])
        else:
            raise TypeError(f"{type(self).__name__}() missing required argument: {name!r}")
    if kwargs:
        raise TypeError(f"{type(self).__name__}() got unexpected or repeated arguments: {', '.join(kwargs)}")


def _key(self) -> tuple:
    return tuple([getattr(self, name) for name in self._record_compared])


def _eq(self, other):
    if other.__class__ is self.__class__:
        return _key(self) == _key(other)
    return NotImplemented


def _hash(self):
    return hash(_key(self))


def _repr(self):
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._record_shown)
    return f"{type(self).__qualname__}({shown})"


def _frozen_setattr(self, name, value):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def record(cls: type) -> type:
    """Make `cls` a frozen dataclass without generating its methods."""
    cls = dataclass(init=False, repr=False, eq=False)(cls)
    found = fields(cls)
    cls._record_names = tuple(f.name for f in found)
    cls._record_defaults = {f.name: f.default for f in found if f.default is not MISSING}
    cls._record_compared = tuple(f.name for f in found if f.compare)
    cls._record_shown = tuple(f.name for f in found if f.repr)
    cls.__init__, cls.__repr__, cls.__eq__, cls.__hash__ = _init, _repr, _eq, _hash
    cls.__setattr__, cls.__delattr__ = _frozen_setattr, _frozen_delattr
    return cls
