"""The words a server-rendered page shows, in the six languages, read from a data file.

Why data and not Python: a translator edits one JSON file (``<package>/data/<name>.json``, each
language's strings by key, English first) without touching code, and a table of six languages
written out as code is six copies of the same shape. Why checked when read: a language missing a
key would fail only when a reader of that language meets the one page that needs it; a table
whose languages are not the six or whose keys differ from English's is a ``ConfigurationError``
naming them, at start-up.
"""

from __future__ import annotations

import json
from importlib import resources

from record_catalogue.errors import ConfigurationError
from record_catalogue.languages import UN_LANGUAGES

Strings = dict[str, dict[str, str]]  # language -> key -> text


def load_strings(package: str, name: str) -> Strings:
    """The strings table ``<package>/data/<name>.json``, checked: the six languages, each with
    exactly English's keys, every value a string."""
    where = f"{package}/data/{name}.json"
    table = json.loads(resources.files(package).joinpath("data", f"{name}.json").read_text("utf-8"))
    if not isinstance(table, dict) or sorted(table) != sorted(UN_LANGUAGES):
        raise ConfigurationError(f"{where}: the languages must be {', '.join(UN_LANGUAGES)}")
    keys = set(table["en"])
    for lang, strings in table.items():
        if set(strings) != keys:
            differ = ", ".join(sorted(keys ^ set(strings)))
            raise ConfigurationError(f"{where}: {lang} lacks or adds keys English has not: {differ}")
        if not all(isinstance(text, str) for text in strings.values()):
            raise ConfigurationError(f"{where}: {lang} has a value that is not a string")
    return table
