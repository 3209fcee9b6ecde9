"""Copy the country flags the cards and the widget show from the flag-icons npm package.

A flag for every country of ISO 3166-1 (``pycountry``'s list) that the package draws: its
``flags/4x3/<code>.svg`` copied unchanged into ``search_api/static/flags/``, with the package's
licence, and ``index.js`` listing the codes (the page shows no flag for a code it does not list,
never a broken image). The package is pinned in ``devtools/flags/package-lock.json``; ``make
flags`` installs it (npm ci) and runs this. The copies are committed, so the server needs neither
npm nor the network; re-run after moving the pin.

CLI: ``python devtools/vendor_flags.py [--package DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "devtools" / "flags" / "node_modules" / "flag-icons"
OUT = ROOT / "search_api" / "static" / "flags"


def iso_codes() -> list[str]:
    """Every ISO 3166-1 alpha-2 code, lower case."""
    return sorted(country.alpha_2.lower() for country in pycountry.countries)


def vendor(package: Path, out: Path) -> tuple[list[str], list[str]]:
    """Copy the flags into ``out`` (replacing what was there); the codes copied and those the package lacks."""
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    source = package / "flags" / "4x3"
    copied = [code for code in iso_codes() if (source / f"{code}.svg").is_file()]
    missing = [code for code in iso_codes() if code not in copied]
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.svg"):
        old.unlink()
    for code in copied:
        shutil.copyfile(source / f"{code}.svg", out / f"{code}.svg")
    shutil.copyfile(package / "LICENSE", out / "LICENSE")
    rows = [", ".join(json.dumps(code) for code in copied[i : i + 16]) for i in range(0, len(copied), 16)]
    codes = "\n  " + ",\n  ".join(rows) + ",\n"
    (out / "index.js").write_text(
        "// The country flags vendored here: SVGs copied unchanged from the flag-icons npm package\n"
        f"// (version {version}, flags/4x3/, MIT licence in ./LICENSE), one per ISO 3166-1 country the\n"
        "// package draws, by devtools/vendor_flags.py (`make flags`; do not edit by hand). A code\n"
        "// without a file gets no flag (never a broken image).\n"
        f"export const FLAGS = new Set([{codes}]);\n",
        encoding="utf-8",
    )
    return copied, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, default=PACKAGE, help="the installed flag-icons package")
    parser.add_argument("--out", type=Path, default=OUT, help="where the page's flags live")
    args = parser.parse_args(argv)
    if not (args.package / "flags" / "4x3").is_dir():
        hint = "run `make flags` (npm ci in devtools/flags)"
        print(f"{args.package}: no flag-icons package there; {hint}", file=sys.stderr)
        return 2
    copied, missing = vendor(args.package, args.out)
    print(f"{len(copied)} flags copied to {args.out}; the package has none for: {', '.join(missing) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
