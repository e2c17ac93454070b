"""Settings: `base` (demo defaults, everything from the environment), `production`, `test`."""
