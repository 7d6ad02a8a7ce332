"""No import cycles between the modules of persistence/: imports inside functions count too, since they are how
a cycle hides (it works at run time until someone moves the import to the top of the file)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "redislite"


def module_name(path: Path) -> str:
    """ "persistence.aof" for src/redislite/persistence/aof.py, "persistence" for its __init__.py."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(name: str, source: str, modules: set[str], is_package: bool = False) -> set[str]:
    """Which of modules (redislite's, named relative to redislite) a module's source imports, wherever the
    import statement is. `from .x import y` imports x, and y too when y is a module."""
    package = name.split(".") if is_package else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
            elif (node.module or "").split(".")[0] == "redislite":
                base = []
            else:
                continue
            module = (node.module or "").removeprefix("redislite").removeprefix(".")
            target = ".".join(base + (module.split(".") if module else []))
            for alias in node.names:
                submodule = f"{target}.{alias.name}".lstrip(".")
                targets.add(submodule if submodule in modules else target)
        elif isinstance(node, ast.Import):
            targets.update(
                alias.name.removeprefix("redislite.") for alias in node.names if alias.name.startswith("redislite.")
            )
    return targets & modules - {name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each module that is on a cycle (depth-first search; edges to modules outside the
    graph are ignored)."""
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph[module]):
            if target in path:
                found.append(path[path.index(target) :] + [target])
            elif target in graph and target not in done:
                visit(target, path + [target])
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module, [module])
    return found


def package_graph(package: str) -> dict[str, set[str]]:
    """Who imports whom among one package's modules."""
    paths = {module_name(path): path for path in (PACKAGE / package).rglob("*.py")}
    return {
        name: imported_modules(name, path.read_text(), paths.keys(), path.name == "__init__.py")
        for name, path in paths.items()
    }


def test_persistence_modules_import_each_other_without_a_cycle():
    assert cycles(package_graph("persistence")) == []


def test_a_cycle_through_a_function_level_import_is_noticed():
    sources = {
        "persistence.service": "def load():\n    from .aof import replay\n",
        "persistence.aof": "from .errors import LoadError\n",
        "persistence.errors": "from . import service\n",
    }
    graph = {name: imported_modules(name, source, sources.keys()) for name, source in sources.items()}
    assert cycles(graph) == [["persistence.aof", "persistence.errors", "persistence.service", "persistence.aof"]]
