"""Progress bars for long management commands (tqdm on stderr, off when not a terminal
unless asked), so stdout stays clean for --json."""

import sys

from tqdm import tqdm


def progress_bar(*, total: int | None, unit: str, description: str, enabled: bool | None = None):
    return tqdm(
        total=total,
        unit=unit,
        desc=description,
        file=sys.stderr,
        disable=not sys.stderr.isatty() if enabled is None else not enabled,
        dynamic_ncols=True,
    )
