"""An import-linter contract of this project's own (`make lint` runs it; see
[tool.importlinter] in pyproject.toml): apps use one another only through their public
modules. The layers contract says which apps may use which; this one says through what:
an app's `services` (writes), `selectors` (reads), `models` and `signals`, never the
modules behind them. Tests and benchmarks are not apps and may reach anything."""

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class PublicSurfaceContract(Contract):
    type_name = "public_surface"

    apps = fields.ListField(subfield=fields.StringField())
    public = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        apps, public = list(self.apps), set(self.public)  # type: ignore[arg-type]
        broken = []
        for app in apps:
            allowed = {app, *(f"{app}.{name}" for name in public)}
            for imported in sorted(graph.find_descendants(app) | {app}):
                if imported in allowed or any(imported.startswith(f"{a}.") for a in allowed
                                              if a != app):  # fmt: skip
                    continue  # public (a public package's own modules too, e.g. models.works)
                for importer in sorted(graph.find_modules_that_directly_import(imported)):
                    if importer == app or importer.startswith(f"{app}."):
                        continue  # the app's own
                    if importer.split(".")[0] not in apps:
                        continue  # not an app (the project package, tests)
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = ", ".join(f"l.{d['line_number']}" for d in details)
                    broken.append(f"{importer} -> {imported} ({lines})")
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        public = ", ".join(sorted(self.public))  # type: ignore[arg-type]
        output.print_error(f"These imports reach past another app's public modules ({public}):")
        output.new_line()
        for line in check.metadata["broken"]:
            output.print_error(f"-   {line}", bold=False)
        output.new_line()
        output.print("Add what you need to that app's services.py or selectors.py instead.")
