"""The floor rules of DESIGN.md, read from the source with `ast` so that they cannot regress.

1. No import cycle between modules of ``audit/``: module-level and function-level imports count,
   ``if TYPE_CHECKING:`` blocks do not (they never run).
2. Stages import downwards only: exceptions < core < population < scoring < {metrics, explain,
   cases} < report < pipeline < cli < the package face (``audit/__init__.py``, ``__main__``).
   Siblings (metrics, explain, cases) never import each other; ``core`` imports only
   ``exceptions``; ``report`` imports only ``core`` and ``exceptions`` (it renders plain data).
3. No module imports the package face (``from audit import __version__``), and none imports
   another subpackage's private ``_module``.
4. No function in ``audit/`` has more than 80 body lines (docstring excluded).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "audit"
MAX_BODY_LINES = 80

#: The floors, lowest first: a module may import only from floors below its own (or its own
#: subpackage). ``audit`` is the package face (``audit/__init__.py``).
FLOORS: tuple[frozenset[str], ...] = tuple(
    frozenset(floor)
    for floor in (
        {"exceptions"},
        {"core"},
        {"population"},
        {"scoring"},
        {"metrics", "explain", "cases"},
        {"report"},
        {"pipeline"},
        {"cli"},
        {"audit", "__main__"},
    )
)
#: Stricter than the floors: what these stages may import besides their own subpackage.
ONLY = {"core": {"exceptions"}, "report": {"core", "exceptions"}}


# ------------------------------------------------------------------------------------------------
# Reading the source
# ------------------------------------------------------------------------------------------------


def module_name(path: Path, root: Path = ROOT) -> str:
    """``audit/cases/_files.py`` -> ``audit.cases._files``; a package is its ``__init__``."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, at any depth, except in ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports_of(other)
            continue
        yield from _imports_of(child)


def _imports_of(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def imported_modules(
    tree: ast.Module, name: str, modules: set[str], *, is_package: bool = False
) -> set[str]:
    """The ``audit`` modules a module imports. ``from pkg import sub`` is an arrow to ``pkg.sub``
    when that is a module, else to ``pkg``."""
    out: set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                package = name.split(".") if is_package else name.split(".")[:-1]
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        out.update(t for t in targets if t == "audit" or t.startswith("audit."))
    out.discard(name)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the ``audit`` modules it imports, for every module under ``root``."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(paths)
    return {
        name: imported_modules(
            ast.parse(path.read_text(), str(path)),
            name,
            modules,
            is_package=path.name == "__init__.py",
        )
        for name, path in paths.items()
    }


# ------------------------------------------------------------------------------------------------
# The rules (each returns the set of violations, as short strings)
# ------------------------------------------------------------------------------------------------


def cycles(graph: Mapping[str, set[str]]) -> set[str]:
    """Import cycles: strongly connected components with more than one module (or a self-import),
    each written as its sorted modules joined by `` <-> ``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[str] = set()

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.add(" <-> ".join(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def stage_of(module: str) -> str:
    """``audit.cases._files`` -> ``cases``; the face ``audit`` -> ``audit``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "audit"


def floor_of(stage: str) -> int:
    for level, floor in enumerate(FLOORS):
        if stage in floor:
            return level
    msg = f"audit.{stage} is on no floor of test_structure.FLOORS; place it there"
    raise AssertionError(msg)


def stage_violations(graph: Mapping[str, set[str]]) -> set[str]:
    """Arrows to a stage on the same or a higher floor, or to one outside ``ONLY``."""
    out = set()
    for source, targets in graph.items():
        here = stage_of(source)
        for target in targets:
            there = stage_of(target)
            if there == here:
                continue
            allowed = there in ONLY[here] if here in ONLY else floor_of(there) < floor_of(here)
            if not allowed:
                out.add(f"{source} -> {target}")
    return out


def face_violations(graph: Mapping[str, set[str]]) -> set[str]:
    """Modules that import the package face ``audit`` (its ``__init__``)."""
    return {f"{s} -> audit" for s, targets in graph.items() if "audit" in targets and s != "audit"}


def private_violations(graph: Mapping[str, set[str]]) -> set[str]:
    """Arrows into another subpackage's private ``_module``."""
    out = set()
    for source, targets in graph.items():
        for target in targets:
            private = any(p.startswith("_") and not p.startswith("__") for p in target.split("."))
            if private and stage_of(target) != stage_of(source):
                out.add(f"{source} -> {target}")
    return out


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body, from its first statement after the docstring to its end."""
    body = function.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def long_functions(tree: ast.Module, where: str, limit: int = MAX_BODY_LINES) -> set[str]:
    """``where::name`` of every function (methods and nested ones too) over ``limit`` lines."""
    return {
        f"{where}::{node.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and body_lines(node) > limit
    }


def length_violations(root: Path = ROOT) -> set[str]:
    out: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        where = path.relative_to(root.parent).as_posix()
        out |= long_functions(ast.parse(path.read_text(), str(path)), where)
    return out


def violations(rule: str) -> set[str]:
    if rule == "length":
        return length_violations()
    check = {
        "cycle": cycles,
        "stage": stage_violations,
        "face": face_violations,
        "private": private_violations,
    }[rule]
    return check(import_graph())


# ------------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["cycle", "stage", "face", "private", "length"])
def test_no_violations(rule):
    found = violations(rule)
    assert not found, f"{rule} rule broken (see DESIGN.md): {sorted(found)}"


def test_the_graph_is_read():
    graph = import_graph()
    assert "audit.population" in graph and "audit.exceptions" in graph
    assert "audit.exceptions" in graph["audit.scoring._scorer"]
    assert all(t.startswith("audit") for targets in graph.values() for t in targets)


def test_the_checks_catch_a_cycle_an_upward_arrow_and_a_face_import():
    graph = {
        "audit.population._a": {"audit.population._b"},
        "audit.population._b": {"audit.population._a", "audit.exceptions"},
        "audit.population._c": {"audit.report", "audit"},
        "audit.metrics._m": {"audit.explain._e", "audit.scoring"},
        "audit.report._r": {"audit.metrics"},
        "audit.core._k": {"audit.population", "audit.exceptions"},
        "audit.exceptions": set(),
    }
    assert cycles(graph) == {"audit.population._a <-> audit.population._b"}
    assert cycles({"audit.x": {"audit.x"}}) == {"audit.x"}
    assert stage_violations(graph) == {
        "audit.population._c -> audit.report",
        "audit.population._c -> audit",
        "audit.metrics._m -> audit.explain._e",
        "audit.report._r -> audit.metrics",
        "audit.core._k -> audit.population",
    }
    assert face_violations(graph) == {"audit.population._c -> audit"}
    assert private_violations(graph) == {"audit.metrics._m -> audit.explain._e"}


def test_imports_are_resolved_as_python_runs_them():
    source = """
from __future__ import annotations
from typing import TYPE_CHECKING
import audit.scoring
from audit.population import _spec, load_spec
from audit import __version__
if TYPE_CHECKING:
    from audit.report import write_report
else:
    from audit.metrics import audit_decisions
def f():
    from audit.explain._groups import factorize_groups
    from . import _io
"""
    modules = {"audit.population._spec", "audit.cases._io", "audit.explain._groups"}
    found = imported_modules(ast.parse(source), "audit.cases._files", modules)
    assert found == {
        "audit.scoring",
        "audit.population._spec",
        "audit.population",
        "audit",
        "audit.metrics",
        "audit.explain._groups",
        "audit.cases._io",
    }


def test_the_length_check_counts_body_lines_without_the_docstring():
    lines = "\n".join(f"    x = {i}" for i in range(MAX_BODY_LINES))
    source = f'def ok():\n    """Doc.\n\n    More.\n    """\n{lines}\n\ndef long():\n{lines}\n    return x\n'
    tree = ast.parse(source)
    assert [body_lines(f) for f in tree.body] == [MAX_BODY_LINES, MAX_BODY_LINES + 1]
    assert long_functions(tree, "m.py") == {"m.py::long"}
