"""The layering in docs/ARCHITECTURE.md, enforced: a module imports only from its own package or lower layers."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "redislite"

LAYERS = {
    "errors": 0,
    "protocol": 1,
    "storage": 2,
    "observability": 2,
    "config": 3,
    "commands": 4,
    "engine": 5,
    "persistence": 6,
    "replication": 6,
    "server": 7,
    "http": 7,
    "cli": 8,
    "__main__": 9,
    "__init__": 0,
}


def top_level_part(module_path: Path) -> str:
    relative = module_path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def imported_parts(module_path: Path) -> set[str]:
    """The top-level redislite parts a module imports (relative and absolute imports)."""
    depth = len(module_path.relative_to(PACKAGE).parts) - 1
    parts = set()
    for node in ast.walk(ast.parse(module_path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(module_path.relative_to(PACKAGE).parts[:depth])
                up = node.level - 1
                base = base[: len(base) - up] if up else base
                target = base + (node.module.split(".") if node.module else [])
                if target:
                    parts.add(target[0])
                else:
                    parts.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("redislite."):
                parts.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            parts.update(a.name.split(".")[1] for a in node.names if a.name.startswith("redislite."))
    return parts


def test_every_module_imports_only_its_own_package_or_lower_layers():
    violations = []
    for module_path in PACKAGE.rglob("*.py"):
        source = top_level_part(module_path)
        for target in imported_parts(module_path):
            if target == source or target not in LAYERS:
                continue
            if LAYERS[target] >= LAYERS[source]:
                violations.append(f"{module_path.relative_to(PACKAGE)} imports {target}")
    assert violations == []


def test_the_layer_check_notices_an_upward_import(tmp_path, monkeypatch):
    fake = PACKAGE / "storage" / "database.py"
    source = "from ..engine import core\n"
    monkeypatch.setattr(Path, "read_text", lambda self: source if self == fake else Path.read_bytes(self).decode())
    assert "engine" in imported_parts(fake)
