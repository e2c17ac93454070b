"""The apps' import contracts (`make lint`): they hold for the code as it is, and the
project's own contract refuses an app reaching past another app's public modules."""

import subprocess
import sys
from pathlib import Path

import grimp
from django.conf import settings

from config.import_contracts import PublicSurfaceContract

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_contracts_hold():
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=settings.BASE_DIR, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def contract() -> PublicSurfaceContract:
    return PublicSurfaceContract(
        name="public",
        session_options={},
        contract_options={"apps": ["catalog", "marketplace"], "public": ["services", "models"]},
    )


def graph_with(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for module in ("catalog", "catalog.services", "catalog.cloning", "catalog.models",
                   "catalog.models.assets", "marketplace", "marketplace.demo", "config",
                   "config.urls"):  # fmt: skip
        graph.add_module(module)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=3,
                         line_contents=f"from {imported} import x")  # fmt: skip
    return graph


def test_public_modules_and_the_apps_own_modules_may_be_imported():
    check = contract().check(
        graph_with(
            ("marketplace.demo", "catalog.services"),
            ("marketplace.demo", "catalog.models.assets"),  # inside a public package
            ("catalog.services", "catalog.cloning"),  # the app's own
            ("config.urls", "catalog.cloning"),  # the project package is not an app
        ),
        verbose=False,
    )
    assert check.kept


def test_reaching_past_the_public_modules_breaks_the_contract():
    check = contract().check(graph_with(("marketplace.demo", "catalog.cloning")), verbose=False)
    assert not check.kept
    assert check.metadata["broken"] == ["marketplace.demo -> catalog.cloning (l.3)"]
