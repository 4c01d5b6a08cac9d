"""The package layout is the architecture: imports only reach down the layers.

UI and CLI, then evals and the review, then the supervisor's turn, then knowledge, language
models and the coder, then storage, then the shared basics. A module may import its own layer
or any layer below it, never one above.
"""

import ast
from pathlib import Path

import pytest

COACH = Path(__file__).resolve().parents[1] / "coach"
LAYERS = {
    "errors": 0,
    "files": 0,
    "settings": 0,
    "storage": 1,
    "llm": 2,
    "knowledge": 2,
    "coder": 2,
    "supervisor": 3,
    "review": 4,
    "evals": 4,
    "practice": 4,
    "ops": 4,
    "web": 5,
    "cli": 5,
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("coach."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("coach.")}
    return found


MODULES = sorted(p for p in COACH.rglob("*.py") if "migrations" not in p.parts)


def test_every_module_belongs_to_a_known_layer():
    unknown = (
        {p.relative_to(COACH).parts[0].removesuffix(".py") for p in MODULES}
        - set(LAYERS)
        - {"__init__"}
    )
    assert not unknown, f"modules outside the layers: {sorted(unknown)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(COACH)))
def test_imports_only_reach_down(path):
    own = path.relative_to(COACH).parts[0].removesuffix(".py")
    if own == "__init__":
        return
    upward = [m for m in imports_of(path) if LAYERS[layer_of(m)] > LAYERS[own]]
    assert not upward, f"{path.relative_to(COACH)} imports a layer above it: {upward}"
