"""Layers point one way, checked on every import of the code (functions' own imports too).

::

    handlers ─┐          bot.app (composition root: may import everything)
              ▼
    services: bot.ingest, bot.tagging, bot.readers, bot.reference, bot.delivery, bot.desk
              │                      │
              ▼                      ▼
    storage (SQL, no aiogram)   bot.telegram (transport, rendering, i18n; + aiogram)
              │                      │
              └──────► bot.domain ◄──┘   (imports nothing of ours)

Services and handlers never import ``bot.app``; handlers never import ``storage``. Only
``bot.__main__`` (``python -m bot``) reaches into the composition root from outside it. A
module no layer claims fails too, so a new package must say where it belongs. Imports made by
name at run time (``importlib``) are not seen.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage")

SERVICES = (
    "bot.ingest",
    "bot.tagging",
    "bot.readers",
    "bot.reference",
    "bot.delivery",
    "bot.desk",
)
EVERYTHING = ("bot", "handlers", "storage")


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    may_import: tuple[str, ...]  # our packages (and their submodules) this layer may use
    third_party_banned: tuple[str, ...] = ()


DOMAIN = Layer("bot.domain", ("bot.domain",), ("aiogram", "aiosqlite", "aiohttp"))
LAYERS: dict[str, Layer] = {
    "bot.domain": DOMAIN,
    "storage": Layer("storage", ("storage", "bot.domain"), ("aiogram",)),
    "bot.telegram": Layer("bot.telegram", ("bot.telegram", "bot.domain")),
    **{
        service: Layer(service, ("bot.domain", "storage", "bot.telegram", *SERVICES))
        for service in SERVICES
    },
    "handlers": Layer("handlers", ("handlers", "bot.domain", "bot.telegram", *SERVICES)),
    "bot.app": Layer("bot.app", EVERYTHING),
    "bot.__main__": Layer("bot.__main__", ("bot.app",)),
    "bot": Layer("bot", ()),  # bot/__init__.py: the package's docstring, nothing more
}


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # who imports
    target: str  # what, as a dotted name (``storage.chats``, ``aiogram.types``)
    line: int


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def layer_of(module: str) -> Layer | None:
    """The layer of the longest name that ``module`` is, or is inside of (``bot`` itself
    claims only ``bot/__init__.py``)."""
    owners = [
        name for name in LAYERS if _within(module, name) and (name != "bot" or module == name)
    ]
    return LAYERS[max(owners, key=len)] if owners else None


def modules_in(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``: dotted name → file."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports_in(module: str, path: Path, known: set[str]) -> Iterator[Import]:
    """Every import statement of one module, wherever it stands (functions, ``if``s)."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")
                keep = len(package) - node.level + (1 if is_package else 0)
                base = ".".join([*package[:keep], *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield Import(module, submodule if submodule in known else base, node.lineno)


def wrong_way(found: Import) -> str | None:
    """Why ``found`` runs against the layers, or None when it is fine."""
    layer = layer_of(found.module)
    where = f"{found.module} (line {found.line}) imports {found.target}"
    if layer is None:
        return f"{found.module} belongs to no layer: add it to LAYERS in tests/test_layers.py"
    ours = found.target.split(".")[0] in EVERYTHING
    if ours and not any(_within(found.target, allowed) for allowed in layer.may_import):
        return f"{where}: {layer.name} may import only {', '.join(layer.may_import) or 'none'}"
    banned = [name for name in layer.third_party_banned if _within(found.target, name)]
    if banned:
        return f"{where}: {layer.name} must not depend on {banned[0]}"
    return None


def violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    modules = modules_in(root, packages)
    known = set(modules)
    found: list[str] = []
    for module, path in modules.items():
        if layer_of(module) is None:
            found.append(f"{module} belongs to no layer: add it to LAYERS in tests/test_layers.py")
            continue
        for each in imports_in(module, path, known):
            problem = wrong_way(each)
            if problem is not None:
                found.append(problem)
    return found


def test_every_import_of_the_project_points_down_the_layers() -> None:
    problems = violations(ROOT)
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


def test_the_check_sees_every_package() -> None:
    modules = modules_in(ROOT)
    assert {"bot.domain.models", "storage.database", "handlers.start", "bot.app.runtime"} <= set(
        modules
    )
    assert all(layer_of(module) is not None for module in modules)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in {
        "bot/__init__.py": "",
        "bot/domain/__init__.py": "",
        "bot/domain/models.py": "import dataclasses\n",
        "bot/telegram/__init__.py": "",
        "bot/readers/__init__.py": "",
        "bot/app/__init__.py": "",
        "bot/app/composition.py": "from storage.database import Database\nimport handlers\n",
        "storage/__init__.py": "",
        "storage/database.py": "from bot.domain.models import Article\n",
        "handlers/__init__.py": "from handlers import start\n",
        "handlers/start.py": "from aiogram import Router\nfrom bot.readers import subscriptions\n",
        **files,
    }.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return root


def test_a_tree_that_keeps_to_the_layers_passes(tmp_path: Path) -> None:
    assert violations(_tree(tmp_path, {})) == []


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        pytest.param(
            {"bot/domain/clock.py": "from storage.timestamps import to_db\n"},
            "bot.domain.clock (line 1) imports storage.timestamps: bot.domain may import only"
            " bot.domain",
            id="domain-imports-storage",
        ),
        pytest.param(
            {"bot/domain/models.py": "from aiogram.types import Message\n"},
            "bot.domain.models (line 1) imports aiogram.types: bot.domain must not depend on"
            " aiogram",
            id="domain-imports-aiogram",
        ),
        pytest.param(
            {"storage/chats.py": "import aiogram.types\n"},
            "storage.chats (line 1) imports aiogram.types: storage must not depend on aiogram",
            id="storage-imports-aiogram",
        ),
        pytest.param(
            {"storage/chats.py": "from bot.readers.cache import BoundedCache\n"},
            "storage.chats (line 1) imports bot.readers.cache: storage may import only storage,"
            " bot.domain",
            id="storage-imports-a-service",
        ),
        pytest.param(
            {"bot/telegram/session.py": "from ..readers import cache\n"},
            "bot.telegram.session (line 1) imports bot.readers: bot.telegram may import only"
            " bot.telegram, bot.domain",
            id="telegram-imports-a-service-relatively",
        ),
        pytest.param(
            {"bot/readers/catalog.py": "def build():\n    from handlers import start\n"},
            "bot.readers.catalog (line 2) imports handlers.start: bot.readers may import only",
            id="service-imports-handlers-inside-a-function",
        ),
        pytest.param(
            {"bot/readers/__init__.py": "from bot import app\n"},
            "bot.readers (line 1) imports bot.app: bot.readers may import only",
            id="service-imports-the-composition-root",
        ),
        pytest.param(
            {"handlers/start.py": "from storage.subscriptions import RulePart\n"},
            "handlers.start (line 1) imports storage.subscriptions: handlers may import only",
            id="handler-imports-storage",
        ),
        pytest.param(
            {"handlers/admin.py": "if True:\n    import bot.app.config\n"},
            "handlers.admin (line 2) imports bot.app.config: handlers may import only",
            id="handler-imports-the-composition-root",
        ),
        pytest.param(
            {"bot/newcomer/__init__.py": ""},
            "bot.newcomer belongs to no layer: add it to LAYERS",
            id="a-package-of-no-layer",
        ),
    ],
)
def test_an_import_against_the_layers_is_named(
    tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    [found] = violations(_tree(tmp_path, files))
    assert found.startswith(problem)
