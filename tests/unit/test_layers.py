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
    "tls": 3.5,  # below commands (CONFIG SET rebuilds the contexts), above config
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


# -- run-time reach-backs: commands use only what commands/context.py declares ---------------------------------


def declared_members(protocol) -> set[str]:
    """A Protocol's attributes, properties and methods."""
    members = set()
    for cls in protocol.__mro__:
        if cls is object or cls.__name__ in ("Protocol", "Generic"):
            continue
        members |= set(getattr(cls, "__annotations__", {}))
        members |= {name for name in vars(cls) if not name.startswith("_")}
    return members


def reach_backs(tree: ast.AST) -> list[str]:
    """Uses of the client (`ctx`), the server state (`ctx.server`, `state`, `self.state`) and the engine
    (`<server>.engine`) that the Protocols do not declare, and getattr/hasattr/setattr on them with a fixed
    attribute name (an undeclared attribute read with a default)."""
    from redislite.commands.context import Context, Dispatcher, Server

    def role(node) -> str | None:
        if isinstance(node, ast.Name):
            return {"ctx": "client", "state": "server"}.get(node.id)
        if isinstance(node, ast.Attribute):
            if node.attr == "server" and role(node.value) == "client":
                return "server"
            if node.attr == "state" and isinstance(node.value, ast.Name) and node.value.id == "self":
                return "server"
            if node.attr == "engine" and role(node.value) == "server":
                return "engine"
        return None

    allowed = {
        "client": declared_members(Context),
        "server": declared_members(Server),
        "engine": declared_members(Dispatcher),
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (owner := role(node.value)) is not None:
            if node.attr not in allowed[owner]:
                found.append(f"line {node.lineno}: {owner} .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) >= 2
            and role(node.args[0]) is not None
            and isinstance(node.args[1], ast.Constant)
        ):
            found.append(f"line {node.lineno}: {node.func.id}({role(node.args[0])}, {node.args[1].value!r})")
    return found


def test_commands_use_only_what_the_context_declares():
    violations = []
    for module_path in sorted((PACKAGE / "commands").rglob("*.py")):
        for found in reach_backs(ast.parse(module_path.read_text())):
            violations.append(f"{module_path.relative_to(PACKAGE)} {found}")
    assert violations == []


def test_the_context_check_notices_a_reach_back_into_the_engine():
    source = (
        "def f(ctx):\n    ctx.server.engine.hooks = True\n    ctx.server.engine.lookup([b'x'])\n"
        "    getattr(ctx.server, 'scripting', None)\n    ctx.transport\n"
    )
    assert reach_backs(ast.parse(source)) == [
        "line 2: engine .hooks",
        "line 4: getattr(server, 'scripting')",
        "line 5: client .transport",
    ]
