"""Argos language packages on disk: list, install (from the index or a file), update, remove.

Where packages live is a project setting (``CHM_MODELS_DIR``, default ``models/`` inside
``CHM_DATA_DIR``), never inside the installed package or the user's home: an image's code is
read-only, its data volume is not. Argos Translate reads its own ``ARGOS_*`` variables and
creates its directories when it is first imported, so :func:`argos_module` sets those variables
from the settings, and points Argos' data, configuration and cache directories into the data
directory for that import, before anything of Argos is loaded; nothing here reads ``ARGOS_*``.

Listing reads each package's ``metadata.json`` itself and never raises: one broken package
directory (Argos' own listing stops at the first) is reported with its problem and the others
stay usable. Installing goes through ``argostranslate.package.install_from_path`` after checking
the archive, so a bad file is refused with a reason instead of half-installed. The package index
is fetched with a timeout and a one-line error when it cannot be reached (these development
machines never reach it; users' machines do).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import shutil
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from record_catalogue.errors import Cause, Unavailable
from record_catalogue.settings import Settings, get_settings

TIMEOUT_SECONDS = 20
_install_lock = threading.Lock()


class PackageError(Unavailable):
    """A package cannot be listed, installed or removed; the message says why and what to do."""

    cause = Cause.TRANSLATION_UNAVAILABLE


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
    """Where packages are installed: ``CHM_MODELS_DIR``, else ``models/`` in ``CHM_DATA_DIR``."""
    return get_settings().models_path


_XDG = ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")
_argos_lock = threading.Lock()


def argos_environment(settings: Settings) -> dict[str, str]:
    """Argos Translate's variables as the project's settings give them."""
    compute = settings.translate_compute_type
    return {
        "ARGOS_PACKAGES_DIR": str(settings.models_path),
        "ARGOS_PACKAGE_INDEX": settings.argos_index_url.removesuffix("index.json"),
        "ARGOS_DEVICE_TYPE": "cuda" if settings.translate_device == "cuda" else "cpu",
        "ARGOS_INTER_THREADS": str(settings.translate_inter_threads),
        "ARGOS_INTRA_THREADS": str(settings.translate_intra_threads),
        "ARGOS_BATCH_SIZE": str(settings.translate_batch_size),
        "ARGOS_BEAM_SIZE": str(settings.translate_beam_size),
        "ARGOS_COMPUTE_TYPE": "auto" if compute == "default" else compute,
    }


def argos_module(name: str) -> Any:
    """``argostranslate.<name>``, Argos configured from the settings before its first import.

    Argos creates ``argos-translate`` directories under ``XDG_DATA_HOME``, ``XDG_CONFIG_HOME`` and
    ``XDG_CACHE_HOME`` (default: the home directory) as it is imported; they go under
    ``CHM_DATA_DIR/argos`` instead, and the XDG variables are restored at once, so that other
    libraries in the process still see the user's.
    """
    with _argos_lock:
        if "argostranslate.settings" not in sys.modules:
            settings = get_settings()
            os.environ.update(argos_environment(settings))
            home = settings.data_dir.resolve() / "argos"
            with environment_set({key: str(home / key.split("_")[1].lower()) for key in _XDG}):
                importlib.import_module("argostranslate.settings")
        return importlib.import_module(f"argostranslate.{name}")


@contextlib.contextmanager
def environment_set(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` while the block runs; each of those variables as it was after
    (unset if it was): for a library that reads its directories from the environment as it is
    imported, without changing what the rest of the process sees."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


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
    package, settings = argos_module("package"), argos_module("settings")

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


MAX_INDEX_BYTES = 20 * 1024 * 1024
MAX_PACKAGE_BYTES = 2 * 1024 * 1024 * 1024
_SCHEMES = ("http", "https", "file")


def _fetch(url: str, timeout: float, limit: int, destination: Path | None = None) -> bytes:
    """The body at ``url`` (http, https or file), at most ``limit`` bytes; written to ``destination``
    in chunks instead of returned when given (packages are hundreds of megabytes)."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in _SCHEMES:
        raise IndexUnreachable(f"cannot fetch {url}: only {', '.join(_SCHEMES)} links are followed")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            size = 0
            chunks: list[bytes] = []
            sink = destination.open("wb") if destination is not None else None
            try:
                while chunk := response.read(1024 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise PackageError(f"{url} is larger than {limit // (1024 * 1024)} MB: refused")
                    if sink is not None:
                        sink.write(chunk)
                    else:
                        chunks.append(chunk)
            finally:
                if sink is not None:
                    sink.close()
            return b"".join(chunks)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IndexUnreachable(f"cannot reach {url} ({reason})") from None


def index_url() -> str:
    """The package index's URL (``CHM_ARGOS_INDEX_URL``: a directory or an ``index.json``)."""
    base = get_settings().argos_index_url
    return base if base.endswith(".json") else base.rstrip("/") + "/index.json"


OFFLINE = (
    "without access to the index, download the .argosmodel on another machine and run "
    "`chm-search models install --file PATH`"
)


@dataclass(frozen=True)
class IndexEntry:
    """One package the Argos index offers, as its ``index.json`` describes it."""

    source: str
    target: str
    version: str
    links: tuple[str, ...]
    code: str
    sha256: str | None = None  # the real index has none; a mirror or a private index may add one

    @property
    def version_key(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    """``"1.9"`` as ``(1, 9)``: package versions compare by their numbers ("1.10" > "1.9")."""
    parts = []
    for part in version.split("."):
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def read_index(url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> list[IndexEntry]:
    """The translation packages the index offers; an unreachable or malformed index is one line."""
    url = url or index_url()
    try:
        data = json.loads(_fetch(url, timeout, MAX_INDEX_BYTES))
    except IndexUnreachable as exc:
        raise IndexUnreachable(f"Argos package index unreachable: {exc}; {OFFLINE}") from None
    except ValueError as exc:
        raise PackageError(f"the Argos package index at {url} is not JSON ({exc}); check CHM_ARGOS_INDEX_URL") from None
    if not isinstance(data, list):
        raise PackageError(f"the Argos package index at {url} is not a list of packages; check CHM_ARGOS_INDEX_URL")
    entries = []
    for item in data:
        if not isinstance(item, dict) or item.get("type", "translate") != "translate":
            continue
        source, target = item.get("from_code"), item.get("to_code")
        links = item.get("links")
        if not isinstance(source, str) or not isinstance(target, str) or not isinstance(links, list):
            continue
        checksum = item.get("sha256") or item.get("checksum")
        entries.append(
            IndexEntry(
                source,
                target,
                str(item.get("package_version") or "0"),
                tuple(str(link) for link in links),
                str(item.get("code") or f"translate-{source}_{target}"),
                str(checksum).lower().removeprefix("sha256:") if checksum else None,
            )
        )
    return entries


def best_entry(entries: list[IndexEntry], source: str, target: str) -> IndexEntry:
    """The newest package of the pair; PackageError naming the pairs the index has otherwise."""
    found = [e for e in entries if (e.source, e.target) == (source, target)]
    if not found:
        pairs = sorted({f"{e.source}→{e.target}" for e in entries})
        shown = ", ".join(pairs[:40]) + (" …" if len(pairs) > 40 else "")
        raise PackageError(f"the Argos index has no {source}→{target} package (it has: {shown})")
    return max(found, key=lambda e: e.version_key)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def install_entry(
    entry: IndexEntry, directory: Path | None = None, timeout: float = TIMEOUT_SECONDS
) -> InstalledPackage:
    """Download ``entry`` (each link in turn), verify it, install it; nothing is left behind on failure.

    The download goes to a hidden directory beside the packages and is deleted whatever happens;
    the archive's SHA-256 is checked when the index gives one, and every member's CRC-32 always
    (a truncated or corrupted download is refused before Argos sees it).
    """
    directory = directory or packages_dir()
    directory.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    downloads = Path(tempfile.mkdtemp(prefix=".download-", dir=directory))
    try:
        for link in entry.links:
            if urllib.parse.urlsplit(link).scheme not in _SCHEMES:
                continue  # ipfs:// and the like: another link serves the same file
            archive = downloads / f"{entry.code}-{entry.version}.argosmodel"
            try:
                _fetch(link, timeout * 15, MAX_PACKAGE_BYTES, archive)
            except IndexUnreachable as exc:
                errors.append(str(exc))
                continue
            if entry.sha256 is not None:
                actual = _sha256(archive)
                if actual != entry.sha256:
                    errors.append(
                        f"{link}: checksum mismatch (SHA-256 {actual[:16]}…, index says {entry.sha256[:16]}…)"
                    )
                    continue
            if not zipfile.is_zipfile(archive):
                errors.append(f"{link}: not a zip archive (an error page or a cut-off download?)")
                continue
            with zipfile.ZipFile(archive) as zipped:
                bad = zipped.testzip()
            if bad is not None:
                errors.append(f"{link}: corrupted download ({bad} fails its CRC check)")
                continue
            return install_file(archive, directory)
    finally:
        shutil.rmtree(downloads, ignore_errors=True)
    tried = "; ".join(errors) or "no http(s) link in the index entry"
    raise IndexUnreachable(
        f"no download of {entry.source}→{entry.target} {entry.version} succeeded ({tried}); try again, or {OFFLINE}"
    )


def install_from_index(
    source: str, target: str, directory: Path | None = None, timeout: float = TIMEOUT_SECONDS
) -> InstalledPackage:
    """Download the pair's newest package from the Argos index and install it."""
    return install_entry(best_entry(read_index(timeout=timeout), source, target), directory, timeout)


@dataclass(frozen=True)
class Update:
    """An installed package and the newer one the index offers (``None`` when it is the newest)."""

    installed: InstalledPackage
    available: IndexEntry | None


def updates(directory: Path | None = None, timeout: float = TIMEOUT_SECONDS) -> list[Update]:
    """For each installed package, the newer version the index has, if any."""
    entries = read_index(timeout=timeout)
    result = []
    for package in installed(directory):
        candidates = [e for e in entries if (e.source, e.target) == (package.source, package.target)]
        newest = max(candidates, key=lambda e: e.version_key, default=None)
        newer = newest if newest is not None and newest.version_key > version_key(package.version) else None
        result.append(Update(package, newer))
    return result


def remove(source: str, target: str, directory: Path | None = None) -> list[InstalledPackage]:
    """Remove every package installed for the pair; PackageError when there is none."""
    found = [p for p in installed(directory) if (p.source, p.target) == (source, target)]
    if not found:
        raise PackageError(f"no {source}→{target} package is installed in {directory or packages_dir()}")
    for package in found:
        shutil.rmtree(package.path)
    return found
