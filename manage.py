#!/usr/bin/env python
import os
import sys
from pathlib import Path

DEMO_SETTINGS = "config.settings.base"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEMO_SETTINGS)
    if not os.environ.get("DATABASE_URL") and os.environ["DJANGO_SETTINGS_MODULE"] == DEMO_SETTINGS:
        # The demo's defaults: the embedded PostgreSQL, started here (see the module).
        from config import embedded_postgres

        var_dir = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent / "var"))
        os.environ["DATABASE_URL"] = embedded_postgres.start(var_dir)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
