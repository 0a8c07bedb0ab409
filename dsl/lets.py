"""The order in which lets are computed, and the cycles that make an order impossible.

A let may use fields and other lets; we evaluate in dependency order (file order where there is a
choice), so a let written before the one it uses still works, and a cycle is reported once with
its whole loop.
"""

from __future__ import annotations

from dsl import ast
from dsl.diagnostics import DiagnosticSink
from dsl.names import names_used


def order_lets(sink: DiagnosticSink, decls: list[ast.LetDecl], fields: set[str]) -> list[ast.LetDecl]:
    """Lets in evaluation order; lets caught in a cycle are reported and left out.

    A depth-first walk with its own stack rather than recursion, and one path kept in place, so a
    chain of 40,000 lets written in reverse order costs linear time and no RecursionError. A let
    that depends on a cycle is left out too (the cycle's report explains it)."""
    by_name = {decl.name.name: decl for decl in decls}
    needs = {name: [n for n in names_used(decl.value) if n in by_name] for name, decl in by_name.items()}
    ordered: list[ast.LetDecl] = []
    state: dict[str, str] = {}  # name -> "visiting" | "done" | "cycle"
    for decl in decls:
        root = decl.name.name
        if root in state:
            continue
        state[root] = "visiting"
        path, on_path = [root], {root: 0}
        pending = [iter(needs[root])]
        while pending:
            dependency = next(pending[-1], None)
            if dependency is None:
                name = path.pop()
                del on_path[name]
                pending.pop()
                if state[name] == "visiting":
                    state[name] = "done"
                    ordered.append(by_name[name])
                elif path:
                    state[path[-1]] = "cycle"
                continue
            seen = state.get(dependency)
            if seen is None:
                state[dependency] = "visiting"
                on_path[dependency] = len(path)
                path.append(dependency)
                pending.append(iter(needs[dependency]))
            elif seen == "visiting":
                loop = path[on_path[dependency]:] + [dependency]
                sink.error(by_name[loop[0]].name.span, "let-cycle",
                           "these lets depend on each other in a circle: " + " -> ".join(loop),
                           "break the circle: one of them must be computed from fields only")
                for member in loop:
                    state[member] = "cycle"
                state[path[-1]] = "cycle"
            elif seen == "cycle":
                state[path[-1]] = "cycle"
    return ordered
