"""Start-up cost of ``chm-search``: the CPU of each command in a fresh process, working tree vs a baseline.

    python bench/cli_start.py                          # the working tree alone
    python bench/cli_start.py --baseline main          # ... and the same commands on that commit, alternated
    python bench/cli_start.py --baseline main --rounds 9 --only help

Each command is run as the tests run it (``tests/commands.py``): a fresh interpreter, ``-c "from
search_api.cli import main; main()"`` from the source tree's root (so that tree's packages are
imported, whatever the virtualenv's editable install points at), the caller's ``CHM_`` settings
removed and a data directory of its own. Its CPU (user + system, with any process it waited for)
is read from ``RUSAGE_CHILDREN`` around the run. With ``--baseline REF`` that commit is checked
out with ``git worktree add`` into a temporary directory (removed afterwards) and, in every
round, each command runs once on each tree, the two in turn, so that both see the same load.
Both trees are byte-compiled first, as the suite does (``PYTHONDONTWRITEBYTECODE`` is set on the
development machines: an uncompiled tree would measure the compiler).

The commands: ``--help`` of the root and of each command and group (what a light run costs),
listings on a migrated but empty SQLite catalogue (``keys list``, ``sources list``, ``errors``,
``models list``, ``migrate``, ``health``), a command refused for a missing option (exit 2), and
``ingest samples/shared`` into a fresh copy of that catalogue. Reported per command: the median
CPU of the rounds on each tree and their ratio (working tree / baseline), and whether the two
trees gave the same exit code and output (the run's own id, counts per second and durations
aside).
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.relevance import describe_working_tree, worktree  # noqa: E402
from devtools.commands import CLI_ARGS, clean_environment  # noqa: E402

PACKAGES = ("record_catalogue", "analyzers", "search_index", "ingest", "translate", "search_api")
GROUPS = (
    "ingest",
    "errors",
    "reindex",
    "harvest",
    "sources",
    "translate",
    "models",
    "memory",
    "glossary",
    "keys",
    "records",
    "serve",
    "migrate",
    "health",
)


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]
    data: str = "none"  # none: an empty directory; catalogue: the migrated one; copy: a fresh copy of it


COMMANDS: tuple[Command, ...] = (
    Command("--help", ("--help",)),
    *(Command(f"{group} --help", (group, "--help")) for group in GROUPS),
    Command("keys create (missing --role, --name)", ("keys", "create")),
    Command("keys list", ("keys", "list"), "catalogue"),
    Command("sources list", ("sources", "list"), "catalogue"),
    Command("errors", ("errors",), "catalogue"),
    Command("models list", ("models", "list"), "catalogue"),
    Command("migrate (up to date)", ("migrate",), "catalogue"),
    Command("health", ("health",), "catalogue"),
    Command("ingest samples/shared", ("ingest", str(ROOT / "samples" / "shared")), "copy"),
)
# What differs between two runs of the same command by design: run ids, rates, durations.
VOLATILE = re.compile(
    r"\b[0-9a-f]{8,}\b|\d+(?:\.\d+)?\s*(?:records/s|s\b|ms\b)|\d+:\d\d:\d\d|\d{4}-\d\d-\d\d[T ][\d:.]+"
)


@dataclass
class Tree:
    label: str
    path: Path
    described: str
    cpu: dict[str, list[float]] = field(default_factory=dict)
    outputs: dict[str, tuple[int, str]] = field(default_factory=dict)


def environment(data: Path) -> dict[str, str]:
    return clean_environment(CHM_DATA_DIR=str(data), COLUMNS="200")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(tree: Path, args: Sequence[str], data: Path) -> tuple[float, int, str]:
    """``chm-search *args`` from ``tree`` on ``data``: its CPU seconds, exit code and output."""
    before = children_cpu()
    done = subprocess.run(
        [sys.executable, *CLI_ARGS, *args],
        cwd=tree,
        env=environment(data),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return children_cpu() - before, done.returncode, done.stdout + done.stderr


def prepare(tree: Tree, scratch: Path) -> Path:
    """Compile ``tree``'s packages; return a data directory with a migrated, empty catalogue."""
    for package in PACKAGES:
        compileall.compile_dir(tree.path / package, quiet=2)
    catalogue = scratch / f"{tree.label}-catalogue"
    _cpu, code, output = run(tree.path, ["migrate"], catalogue)
    if code != 0:
        raise SystemExit(f"{tree.label}: chm-search migrate failed ({code}): {output.strip()[-500:]}")
    return catalogue


def measure(tree: Tree, command: Command, catalogue: Path, scratch: Path) -> None:
    data = scratch / "data"
    shutil.rmtree(data, ignore_errors=True)
    if command.data == "catalogue":
        data = catalogue
    elif command.data == "copy":
        shutil.copytree(catalogue, data)
    else:
        data.mkdir()
    cpu, code, output = run(tree.path, command.args, data)
    tree.cpu.setdefault(command.name, []).append(cpu)
    tree.outputs.setdefault(command.name, (code, VOLATILE.sub("#", output.replace(str(data), "DATA"))))


def report(trees: list[Tree], commands: Sequence[Command], rounds: int) -> None:
    print(f"CPU (user + system) of `chm-search` in a fresh process, median of {rounds} rounds, ms")
    for tree in trees:
        print(f"{tree.label}: {tree.described}")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    heads = [tree.label for tree in trees] + (["ratio", "same exit and output"] if len(trees) == 2 else ["exit"])
    print("| command | " + " | ".join(heads) + " |")
    print("|---" * (len(heads) + 1) + "|")
    totals = [0.0 for _ in trees]
    for command in commands:
        medians = [statistics.median(tree.cpu[command.name]) * 1000 for tree in trees]
        totals = [total + median for total, median in zip(totals, medians, strict=True)]
        cells = [f"{median:.0f}" for median in medians]
        if len(trees) == 2:
            base, new = (tree.outputs[command.name] for tree in trees)
            cells += [f"{medians[1] / medians[0]:.2f}", "yes" if base == new else f"NO (exit {base[0]} vs {new[0]})"]
        else:
            cells.append(str(trees[0].outputs[command.name][0]))
        print(f"| {command.name} | " + " | ".join(cells) + " |")
    cells = [f"{total:.0f}" for total in totals]
    if len(trees) == 2:
        cells += [f"{totals[1] / totals[0]:.2f}", ""]
    else:
        cells.append("")
    print("| all of the above | " + " | ".join(cells) + " |")
    if len(trees) == 2:
        for command in commands:
            base, new = (tree.outputs[command.name] for tree in trees)
            if base != new:
                print(f"\n{command.name}: outputs differ")
                for tree, (code, output) in zip(trees, (base, new), strict=True):
                    print(f"--- {tree.label} (exit {code})\n{output}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", metavar="REF", help="also run the commands on this commit (git worktree)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each command on each tree (default 5)")
    parser.add_argument("--only", metavar="TEXT", help="only the commands whose name contains TEXT")
    args = parser.parse_args(argv)
    commands = [c for c in COMMANDS if args.only is None or args.only in c.name]
    if not commands:
        raise SystemExit(f"no command's name contains {args.only!r}")
    with tempfile.TemporaryDirectory(prefix="chm-cli-start-") as tmp:
        scratch = Path(tmp)
        current = Tree("working tree", ROOT, describe_working_tree())
        if args.baseline is None:
            return _measure([current], commands, args.rounds, scratch)
        with worktree(args.baseline) as (path, described):
            return _measure([Tree("baseline", path, described), current], commands, args.rounds, scratch)


def _measure(trees: list[Tree], commands: Sequence[Command], rounds: int, scratch: Path) -> int:
    catalogues = [prepare(tree, scratch) for tree in trees]
    for done in range(rounds):
        print(f"round {done + 1} of {rounds}", file=sys.stderr, flush=True)
        pairs = list(zip(trees, catalogues, strict=True))
        for command in commands:
            for tree, catalogue in pairs if done % 2 == 0 else reversed(pairs):  # each tree first in turn
                measure(tree, command, catalogue, scratch)
    report(trees, commands, rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
