"""The vendored country flags (``make flags``: flag-icons from npm, copied by
devtools/vendor_flags.py): one for every ISO 3166-1 country, listed for the page, unchanged from
the pinned package version, and harmless as images or opened on their own."""

from __future__ import annotations

import json
import re

import pycountry
from defusedxml import ElementTree

from devtools.vendor_flags import OUT, iso_codes
from tests.conftest import ROOT

SVG = "{http://www.w3.org/2000/svg}"


def listed() -> set[str]:
    return set(re.findall(r'"([a-z]{2})"', (OUT / "index.js").read_text(encoding="utf-8")))


def test_every_iso_country_has_a_flag_and_the_page_lists_it() -> None:
    codes = {country.alpha_2.lower() for country in pycountry.countries}
    assert len(codes) >= 249 and set(iso_codes()) == codes
    files = {path.stem for path in OUT.glob("*.svg")}
    assert files == codes == listed()


def test_the_flags_come_from_the_pinned_package_under_its_licence() -> None:
    lock = json.loads((ROOT / "devtools" / "flags" / "package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/flag-icons"]["version"]
    assert f"version {version}, flags/4x3/" in (OUT / "index.js").read_text(encoding="utf-8")
    assert lock["packages"]["node_modules/flag-icons"]["license"] == "MIT"
    assert (OUT / "LICENSE").read_text(encoding="utf-8").startswith("The MIT License")
    assert "resolved" not in json.dumps(lock)  # no registry address in the repository


def test_every_flag_is_a_plain_svg_drawing() -> None:
    """Parsed with entities refused; no script, event handler or reference outside the file."""
    for path in sorted(OUT.glob("*.svg")):
        root = ElementTree.parse(path).getroot()
        assert root.tag == f"{SVG}svg", path.name
        for element in root.iter():
            assert element.tag.rpartition("}")[2] not in ("script", "foreignObject"), path.name
            for name, value in element.attrib.items():
                assert not name.rpartition("}")[2].lower().startswith("on"), (path.name, name)
                if name.rpartition("}")[2] == "href":
                    assert value.startswith("#"), (path.name, value)
