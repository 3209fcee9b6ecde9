"""Argos language packages on disk: list, install (from the index or a file), remove.

Where packages live is Argos Translate's own setting, so that packages installed with
``argospm`` and with ``chm-search models`` are the same: ``ARGOS_PACKAGES_DIR`` when set, else
Argos' default (``~/.local/share/argos-translate/packages``, or ``settings.json``).

Listing reads each package's ``metadata.json`` itself and never raises: one broken package
directory (Argos' own listing stops at the first) is reported with its problem and the others
stay usable. Installing goes through ``argostranslate.package.install_from_path`` after checking
the archive, so a bad file is refused with a reason instead of half-installed. The package index
is fetched with a timeout and a one-line error when it cannot be reached (these development
machines never reach it; users' machines do).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
TIMEOUT_SECONDS = 20
_install_lock = threading.Lock()


class PackageError(Exception):
    """A package cannot be listed, installed or removed; the message says why and what to do."""


class IndexUnreachable(PackageError):
    """The Argos package index (or a package download) cannot be reached from this machine."""


@dataclass(frozen=True)
class InstalledPackage:
    """One package directory: its pair, name, version, and what is wrong with it (if anything)."""

    path: Path
    source: str
    target: str
    name: str
    version: str
    problem: str | None = None


def packages_dir() -> Path:
    """Argos' package directory (``ARGOS_PACKAGES_DIR``, else Argos' default)."""
    configured = os.environ.get("ARGOS_PACKAGES_DIR")
    if configured:
        return Path(configured)
    from argostranslate import settings  # type: ignore[import-untyped]

    return Path(settings.package_data_dir)


def read_package(path: Path) -> InstalledPackage | None:
    """The package in ``path``, or None when it is not a translation package."""
    metadata_path = path / "metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return InstalledPackage(path, "?", "?", path.name, "?", f"unreadable metadata.json: {exc}")
    if not isinstance(metadata, dict):
        return InstalledPackage(path, "?", "?", path.name, "?", "metadata.json is not an object")
    if metadata.get("type", "translate") != "translate":
        return None
    source, target = str(metadata.get("from_code") or "?"), str(metadata.get("to_code") or "?")
    name = f"translate-{source}_{target}"
    version = str(metadata.get("package_version") or "?")
    problem = None
    if "?" in (source, target):
        problem = "metadata.json has no from_code/to_code"
    elif not (path / "model").is_dir():
        problem = "no model/ directory"
    elif not ((path / "sentencepiece.model").is_file() or (path / "bpe.model").is_file()):
        problem = "no sentencepiece.model or bpe.model"
    return InstalledPackage(path, source, target, name, version, problem)


def installed(directory: Path | None = None) -> list[InstalledPackage]:
    """Every translation package in ``directory``, sorted by pair; broken ones carry their problem."""
    directory = directory or packages_dir()
    if not directory.is_dir():
        return []
    found = [read_package(p) for p in sorted(directory.iterdir()) if p.is_dir() and not p.name.startswith(".")]
    return sorted((p for p in found if p is not None), key=lambda p: (p.source, p.target, p.version))


def _check_archive(archive: Path) -> dict[str, Any]:
    """The metadata of a valid ``.argosmodel``; PackageError saying what is wrong otherwise."""
    if not archive.is_file():
        raise PackageError(f"{archive}: no such file")
    if not zipfile.is_zipfile(archive):
        raise PackageError(f"{archive} is not an Argos package (.argosmodel files are zip archives)")
    with zipfile.ZipFile(archive) as zipped:
        names = zipped.namelist()
        tops = {name.split("/", 1)[0] for name in names}
        if len(tops) != 1 or any(name.startswith("/") or ".." in name.split("/") for name in names):
            raise PackageError(f"{archive}: a package holds exactly one top-level directory")
        top = tops.pop()
        try:
            metadata = json.loads(zipped.read(f"{top}/metadata.json").decode("utf-8"))
        except KeyError:
            raise PackageError(f"{archive}: no {top}/metadata.json") from None
        except ValueError as exc:
            raise PackageError(f"{archive}: metadata.json is not JSON ({exc})") from None
        if not isinstance(metadata, dict) or not metadata.get("from_code") or not metadata.get("to_code"):
            raise PackageError(f"{archive}: metadata.json names no from_code/to_code")
        if not any(name.startswith(f"{top}/model/") for name in names):
            raise PackageError(f"{archive}: no {top}/model/ directory (the CTranslate2 model)")
        metadata["_top"] = top
        return metadata


def install_file(archive: Path, directory: Path | None = None) -> InstalledPackage:
    """Install a local ``.argosmodel``, replacing any package installed for the same pair.

    Argos extracts into a staging directory first; the old package is removed only once the new
    one is complete, so a failed install leaves the old one working.
    """
    directory = directory or packages_dir()
    metadata = _check_archive(archive)
    directory.mkdir(parents=True, exist_ok=True)
    from argostranslate import package, settings

    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=directory))
    try:
        with _install_lock:
            configured = settings.package_data_dir
            settings.package_data_dir = staging  # install_from_path extracts into this setting
            try:
                package.install_from_path(archive)
            finally:
                settings.package_data_dir = configured
        for old in installed(directory):
            if (old.source, old.target) == (metadata["from_code"], metadata["to_code"]):
                shutil.rmtree(old.path)
        final = directory / metadata["_top"]
        if final.exists():
            shutil.rmtree(final)
        (staging / metadata["_top"]).rename(final)
    except OSError as exc:
        raise PackageError(f"cannot install {archive} into {directory}: {exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = read_package(final)
    if result is None:
        raise PackageError(f"{archive}: not a translation package")
    return result


def _fetch(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IndexUnreachable(f"cannot reach {url} ({reason})") from None


def index_url() -> str:
    """The package index's URL (``ARGOS_PACKAGE_INDEX`` as Argos reads it, else Argos' own)."""
    base = os.environ.get("ARGOS_PACKAGE_INDEX") or DEFAULT_INDEX
    return base if base.endswith(".json") else base.rstrip("/") + "/index.json"


def install_from_index(
    source: str, target: str, directory: Path | None = None, timeout: float = TIMEOUT_SECONDS
) -> InstalledPackage:
    """Download the pair's package from the Argos index and install it."""
    url = index_url()
    offline = (
        "; without internet access, download the .argosmodel on another machine and run "
        "`chm-search models install --file PATH`"
    )
    try:
        index = json.loads(_fetch(url, timeout))
    except IndexUnreachable as exc:
        raise IndexUnreachable(f"Argos package index unreachable: {exc}{offline}") from None
    except ValueError as exc:
        raise PackageError(f"the Argos package index at {url} is not JSON ({exc})") from None
    entries = [e for e in index if isinstance(e, dict) and (e.get("from_code"), e.get("to_code")) == (source, target)]
    if not entries:
        pairs = sorted({f"{e.get('from_code')}→{e.get('to_code')}" for e in index if isinstance(e, dict)})
        raise PackageError(f"the Argos index has no {source}→{target} package (it has: {', '.join(pairs)})")
    links = [str(link) for link in entries[0].get("links", [])]
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        for link in links:
            try:
                data = _fetch(link, timeout * 15)
            except IndexUnreachable as exc:
                errors.append(str(exc))
                continue
            archive = Path(tmp) / f"translate-{source}_{target}.argosmodel"
            archive.write_bytes(data)
            return install_file(archive, directory)
    raise IndexUnreachable(f"no download of {source}→{target} succeeded: {'; '.join(errors) or 'no links'}{offline}")


def remove(source: str, target: str, directory: Path | None = None) -> list[InstalledPackage]:
    """Remove every package installed for the pair; PackageError when there is none."""
    found = [p for p in installed(directory) if (p.source, p.target) == (source, target)]
    if not found:
        raise PackageError(f"no {source}→{target} package is installed in {directory or packages_dir()}")
    for package in found:
        shutil.rmtree(package.path)
    return found
