"""What changed between two versions of a policy, structurally: rules, entitlements, routes,
authority limits and case fields added, removed or changed. Items are matched by name; an item
whose meaning is the same (AST equality ignores positions) is unchanged even if it moved."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.model import Policy


@dataclass
class SectionChanges:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_json(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def _meaning(item) -> tuple:
    """Everything about an item except where it was written and the note beside it."""
    return tuple((name, value) for name, value in vars(item).items() if name not in ("line", "note"))


def _compare(old: dict, new: dict) -> SectionChanges:
    return SectionChanges(
        added=[name for name in new if name not in old],
        removed=[name for name in old if name not in new],
        changed=[name for name in new if name in old and old[name] != new[name]],
    )


def compare_policies(old: Policy, new: Policy) -> dict[str, SectionChanges]:
    """Changes by section: `rules`, `entitlements`, `routes`, `authority`, `fields`, `lets`, `header`.
    A rule that only moved is reported under `rules` as `moved: NAME` since order decides."""
    sections = {
        "rules": _compare({g.name: _meaning(g) for g in old.guidelines}, {g.name: _meaning(g) for g in new.guidelines}),
        "entitlements": _compare({e.name: _meaning(e) for e in old.entitlements}, {e.name: _meaning(e) for e in new.entitlements}),
        "routes": _compare({r.name: _meaning(r) for r in old.routes}, {r.name: _meaning(r) for r in new.routes}),
        "authority": _compare(_roles(old), _roles(new)),
        "fields": _compare({f.name: _meaning(f) for f in old.fields}, {f.name: _meaning(f) for f in new.fields}),
        "lets": _compare({let.name: _meaning(let) for let in old.lets}, {let.name: _meaning(let) for let in new.lets}),
        "header": _compare(_header(old), _header(new)),
    }
    kept_old = [g.name for g in old.guidelines if g.name in {n.name for n in new.guidelines}]
    kept_new = [g.name for g in new.guidelines if g.name in set(kept_old)]
    if kept_old != kept_new:
        moved = [name for index, name in enumerate(kept_new) if kept_old[index] != name]
        sections["rules"].changed += [f"moved: {name}" for name in moved if name not in sections["rules"].changed]
    if old.otherwise != new.otherwise:
        sections["authority"].changed.append(f"otherwise: {old.otherwise or '(none)'} -> {new.otherwise or '(none)'}")
    return sections


def _roles(policy: Policy) -> dict:
    if policy.authority is None:
        return {}
    return {role.name: role.limit for role in policy.authority.roles}


def _header(policy: Policy) -> dict:
    return {"policy": policy.name, "version": policy.version, "currency": policy.currency}
