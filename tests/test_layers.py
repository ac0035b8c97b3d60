"""lib/ is cut by domain in layers; a lower layer never imports a higher one, and only lib/ui
(besides the screens and app.py) imports streamlit."""
import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Lowest first: each package may import only its own layer and those before it.
LAYERS = ["lib.settings", "lib.state", "lib.workbook", "lib.casework", "lib.meetings", "lib.report", "lib.access", "lib.notify", "lib.ui"]
MODULES = sorted(p for p in (ROOT / "lib").rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def layer(name: str) -> int | None:
    return next((i for i, prefix in enumerate(LAYERS) if name == prefix or name.startswith(prefix + ".")), None)


def imports(path: Path) -> list[str]:
    """Every module named by an import statement in the file (function-level imports too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            if node.module == "lib":
                found += [f"lib.{a.name}" for a in node.names]
    return found


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_no_lower_layer_imports_a_higher_one(path):
    own = layer(module_name(path))
    if own is None:        # lib/__init__.py
        return
    higher = [m for m in imports(path) if (layer(m) or 0) > own]
    assert higher == [], f"{module_name(path)} ({LAYERS[own]}) imports a higher layer: {higher}"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_only_lib_ui_imports_streamlit(path):
    if module_name(path).startswith("lib.ui"):
        return
    assert not [m for m in imports(path) if m == "streamlit" or m.startswith("streamlit.")], module_name(path)


def test_every_lib_module_belongs_to_a_layer():
    assert [module_name(p) for p in MODULES if layer(module_name(p)) is None] == ["lib"]


def test_layer_check_catches_an_upward_import(tmp_path):
    """The check itself can fail: a workbook module importing casework is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from lib.casework import board\nimport streamlit as st\n", encoding="utf-8")
    assert [m for m in imports(bad) if (layer(m) or 0) > layer("lib.workbook.schema")] == ["lib.casework"]


def import_graph() -> dict[str, set[str]]:
    """lib module → the lib modules it imports (function-level imports too; a package's own
    __init__, which every submodule import runs first, is not counted)."""
    names = {module_name(p): p for p in MODULES}
    graph = {}
    for name, path in names.items():
        found = set(imports(path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = {m for m in found if m in names and m != name and not name.startswith(m + ".") and m != "lib"}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a ring (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_of_lib_imports_itself_round_a_ring():
    assert circles(import_graph()) == []


def test_the_ring_check_can_fail():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# The workbook layer's rooms, lowest first: each imports only the rooms before it (sources.py, the
# face, is the one the rest of the app imports; excel and sheets never import each other):
WORKBOOK_ROOMS = ["lib.workbook.source", "lib.workbook.layout", "lib.workbook.excel", "lib.workbook.sheets",
                  "lib.workbook.uploads", "lib.workbook.sources"]
APART = {("lib.workbook.excel", "lib.workbook.sheets"), ("lib.workbook.sheets", "lib.workbook.excel")}


@pytest.mark.parametrize("room", WORKBOOK_ROOMS)
def test_the_workbook_rooms_import_only_downward_and_stay_small(room):
    graph = import_graph()
    later = set(WORKBOOK_ROOMS[WORKBOOK_ROOMS.index(room) + 1:])
    assert graph[room] & later == set(), f"{room} imports a room above it: {graph[room] & later}"
    assert not {(room, m) for m in graph[room]} & APART
    lines = len((ROOT / (room.replace(".", "/") + ".py")).read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{room}: {lines} lines"


def test_outside_the_workbook_layer_only_the_face_is_imported():
    inner = set(WORKBOOK_ROOMS) - {"lib.workbook.sources"}
    outside = {name: found & inner for name, found in import_graph().items()
               if not name.startswith("lib.workbook.") and found & inner}
    assert outside == {}
