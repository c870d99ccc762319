"""The apps depend on each other one way only: feature apps import the apps they build on, never back.

The graph is read from the source (module-level and function-level imports alike) of every
non-test, non-migration module in marketplace/<app>/; the demo seed may import anything.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import marketplace

ROOT = Path(marketplace.__file__).parent
SKIPPED_PARTS = {"tests", "migrations", "testing"}  # testing: core's shared test helpers (a package)
SKIPPED_FILES = {"conftest.py", "testing.py"}


def _is_app_code(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if len(parts) < 2 or SKIPPED_PARTS & set(parts) or path.name in SKIPPED_FILES:
        return False
    return parts[:2] != ("core", "demo")


def _imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def app_import_graph(root: Path = ROOT) -> dict[str, dict[str, set[str]]]:
    """{app: {imported app: {files that import it}}}."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(root.rglob("*.py")):
        if not _is_app_code(path, root):
            continue
        app = path.relative_to(root).parts[0]
        for module in _imported_modules(ast.parse(path.read_text(), filename=str(path))):
            parts = module.split(".")
            if parts[0] == "marketplace" and len(parts) > 1 and parts[1] != app:
                graph[app][parts[1]].add(str(path.relative_to(root)))
    return graph


def find_cycle(graph) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the DFS stack, "done" after
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_graph_sees_an_import_added_inside_a_function(tmp_path):
    for app, source in {
        "styles": "def f():\n    from marketplace.generations.models import Generation\n",
        "generations": "from marketplace.styles.models import Style\n",
    }.items():
        (tmp_path / app).mkdir()
        (tmp_path / app / "views.py").write_text(source)
    graph = app_import_graph(tmp_path)
    assert find_cycle(graph) == ["generations", "styles", "generations"]


def test_apps_import_each_other_one_way():
    graph = app_import_graph()
    cycle = find_cycle(graph)
    where = (
        [f"{a} -> {b}: {', '.join(sorted(graph[a][b]))}" for a, b in zip(cycle, cycle[1:], strict=False)]
        if cycle else []
    )
    assert cycle is None, "import cycle between apps:\n" + "\n".join(where)


def test_core_builds_on_no_other_app():
    assert dict(app_import_graph()).get("core", {}) == {}
