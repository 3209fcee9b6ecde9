"""What the catalogue keeps of harvested sources, on SQLite and PostgreSQL: sources, their items,
thesaurus terms, and the one-run-at-a-time lock (taken by a second catalogue object, as another
process would)."""

from __future__ import annotations

import pytest

from record_catalogue.harvest_state import HarvestState, ItemState, SourceBusy, SourceProblem, ThesaurusTermLabels
from record_catalogue.store import Catalogue


def test_sources_items_and_terms(catalogue: Catalogue) -> None:
    state = HarvestState(catalogue)
    state.add_source("abs", "cbd", "https://api.example", {"realm": "ABS"})
    with pytest.raises(SourceProblem, match="exists already"):
        state.add_source("abs", "cbd", "https://api.example", {})
    with pytest.raises(SourceProblem, match="unknown source kind 'ftp'"):
        state.add_source("x", "ftp", "https://x", {})
    with pytest.raises(SourceProblem, match="is a cbd source, not oai"):
        state.ensure_source("abs", "oai", "https://api.example", {})
    state.set_high_water("abs", "2024-01-01T00:00:00Z")
    again = state.ensure_source("abs", "cbd", "https://api2.example", {"realm": "ABS", "schemas": ["measure"]})
    assert again.high_water == "2024-01-01T00:00:00Z" and again.url == "https://api2.example"

    state.save_items("abs", [ItemState("A", "A", "2024-01-01T00:00:00Z", '"e1"'), ItemState("B", "B", None, None)])
    state.save_items("abs", [ItemState("A", "A", "2024-02-01T00:00:00Z", '"e2"')])
    items = state.items("abs")
    assert (
        items["A"].remote_updated == "2024-02-01T00:00:00Z" and items["A"].etag == '"e2"' and set(items) == {"A", "B"}
    )
    state.drop_items("abs", ["B"])
    assert set(state.items("abs")) == {"A"}

    state.save_terms([ThesaurusTermLabels("br", "countries", {"en": "Brazil", "pt": "x"} | {"fr": "Brésil"})])
    state.save_terms([ThesaurusTermLabels("br", "countries", {"en": "Brazil", "fr": "Brésil"})])
    assert state.terms(["br", "zz"]) == {"br": ThesaurusTermLabels("br", "countries", {"en": "Brazil", "fr": "Brésil"})}

    assert state.remove_source("abs") and not state.remove_source("abs")
    assert state.items("abs") == {} and state.sources() == []


def test_a_source_runs_in_one_process_at_a_time(catalogue: Catalogue) -> None:
    state = HarvestState(catalogue)
    other = HarvestState(Catalogue(catalogue.dsn))  # another process's catalogue: its own connections
    state.add_source("abs", "cbd", "https://api.example", {})
    state.add_source("bch", "cbd", "https://api.example", {})
    with state.running("abs"):
        with pytest.raises(SourceBusy), other.running("abs"):
            pass
        with other.running("bch"):  # another source is free
            pass
    with other.running("abs"):  # released when the holder is done
        pass
