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
    """Lets in evaluation order; lets caught in a cycle are reported and left out."""
    by_name = {decl.name.name: decl for decl in decls}
    needs = {name: [n for n in names_used(decl.value) if n in by_name] for name, decl in by_name.items()}
    ordered: list[ast.LetDecl] = []
    state: dict[str, str] = {}  # name -> "visiting" | "done" | "cycle"

    def visit(name: str, path: list[str]) -> bool:
        if state.get(name) == "done":
            return True
        if state.get(name) in ("visiting", "cycle"):
            if state[name] == "visiting":
                loop = path[path.index(name):] + [name]
                decl = by_name[loop[0]]
                sink.error(decl.name.span, "let-cycle", "these lets depend on each other in a circle: " + " -> ".join(loop),
                           "break the circle: one of them must be computed from fields only")
                for member in loop:
                    state[member] = "cycle"
            return False
        state[name] = "visiting"
        ok = all(visit(dependency, path + [name]) for dependency in needs[name])
        if state[name] == "cycle" or not ok:
            state[name] = "cycle"
            return False
        state[name] = "done"
        ordered.append(by_name[name])
        return True

    for decl in decls:
        visit(decl.name.name, [])
    return ordered
