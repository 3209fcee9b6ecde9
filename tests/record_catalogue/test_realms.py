"""Every record type of the three clearing-houses has a title in every UN language."""

from __future__ import annotations

from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.realms import realm_catalog


def test_every_record_type_has_a_title_in_every_un_language() -> None:
    missing = [
        f"{realm}/{name}: {', '.join(lang for lang in UN_LANGUAGES if not info.titles.get(lang))}"
        for realm, by_name in realm_catalog().schemas.items()
        for name, info in by_name.items()
        if any(not info.titles.get(lang) for lang in UN_LANGUAGES)
    ]
    assert missing == []


def test_the_clearing_houses_own_titles_win_over_curated_ones() -> None:
    catalog = realm_catalog()
    # The ABS configuration's own French title, not the curated file's.
    assert catalog.schema_label("ABS", "absPermit", "fr") != "absPermit"
    assert catalog.schema_label("CHM", "marineEbsa", "fr") == "Aire marine d'importance écologique ou biologique"
    assert catalog.schema_label("CHM", "capacityBuildingInitiative", "en") == "Capacity-development Initiative"
    assert catalog.schema_label("CHM", "notification", "ar") == "الإخطار"
