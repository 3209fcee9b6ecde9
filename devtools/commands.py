"""How tests and benchmarks run ``chm-search``: a fresh interpreter, in a clean environment.

A child process must see only the settings its test or benchmark gives it: a developer's own
``CHM_DATA_DIR`` or ``CHM_API_KEYS`` leaking into it would make a run pass or fail by machine.
"""

from __future__ import annotations

import os

# ``python -c`` arguments that run the CLI as the installed ``chm-search`` script does, from a
# checkout (the script itself need not be on the PATH).
CLI_ENTRY = "from search_api.cli import main; main()"
CLI_ARGS = ["-c", CLI_ENTRY]


def clean_environment(**env: str) -> dict[str, str]:
    """This process's environment without its ``CHM_`` settings, with ``env``."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("CHM_")}
    clean.update(env)
    return clean
