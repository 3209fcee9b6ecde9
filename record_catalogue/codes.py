"""The system's closed vocabularies, once: languages, realms, provenance, statuses and kinds.

Why one module: these words are stored in the catalogue, written into index documents, sent
over the public API and compared all over the code; spelled as bare strings in each place, a
typo is a silent bug and a reader cannot find every place a value is used. Each is a
``StrEnum`` whose values are the strings stored and sent today, so a member *is* its string
(``Provenance.REVIEWED == "reviewed"``, JSON and SQL see ``"reviewed"``) and nothing stored or
on the wire changes. The API's models use these types, so OpenAPI lists each as a named enum.

It is in the catalogue package, the lowest layer: every other package may import it.
(``search_index.vocabulary`` is something else: the multilingual terms a query is widened with.)
"""

from __future__ import annotations

from enum import StrEnum


class LanguageCode(StrEnum):
    """The six official languages of the United Nations (ISO 639-1), the system's languages."""

    AR = "ar"
    EN = "en"
    ES = "es"
    FR = "fr"
    RU = "ru"
    ZH = "zh"


UNDETERMINED = "und"  # a text whose language detection could not decide (never a display language)


class Realm(StrEnum):
    """The three clearing-houses."""

    CHM = "CHM"
    ABS = "ABS"
    BCH = "BCH"


class Provenance(StrEnum):
    """Where a language version of a field (or a translated sentence) came from."""

    ORIGINAL = "original"  # the source's own text
    MACHINE = "machine"  # a translation engine's, with engine, model and pivot
    REVIEWED = "reviewed"  # a curator's: approved or corrected


class TextStatus(StrEnum):
    """The state of one stored version of a field (or of a sentence in the translation memory)."""

    CURRENT = "current"  # shown to readers (the best current version of each language is)
    STALE = "stale"  # its source text changed since: kept, never shown, never overwritten
    FAILED = "failed"  # machine output the sanity gate refused (the reason is kept)
    REJECTED = "rejected"  # refused by a curator
    PENDING = "pending"  # no model can translate the pair yet (the reason is kept)


class TranslationStatus(StrEnum):
    """What a reader of a language gets for a record: the API's ``translation_status`` and the
    index document's ``status`` per language."""

    ORIGINAL = "original"
    MACHINE = "machine"
    REVIEWED = "reviewed"
    PENDING = "pending"  # nothing in that language yet


class SegmentKind(StrEnum):
    """What a reader gets from one sentence of the translation memory (``SegmentState.kind``), or
    from one sentence of a text translated now (its parts' ``kind``)."""

    REVIEWED = "reviewed"  # a curator's (a stale one too: still right for its sentence)
    MACHINE = "machine"
    REJECTED = "rejected"  # refused by a curator: never given again
    FAILED = "failed"  # the gate refused the machine's output


class QueueStatus(StrEnum):
    """The curators' review queues (``GET /api/v1/translations?status=``)."""

    MACHINE = "machine"  # machine translations records use: to review
    REVIEWED = "reviewed"
    REJECTED = "rejected"
    STALE = "stale"  # reviewed, but the records' source text changed since
    FAILED = "failed"  # machine output the gate refused, used by a record


class EditStatus(StrEnum):
    """What a curator's edit makes of a sentence (``PUT /api/v1/translations/{id}``)."""

    REVIEWED = "reviewed"  # approved as it is, or corrected
    REJECTED = "rejected"


class MemoryExport(StrEnum):
    """Which sentences of the translation memory ``chm-search memory export --status`` writes."""

    CURRENT = "current"  # what readers may get: reviewed (stale ones too) and current machine ones
    REVIEWED = "reviewed"
    MACHINE = "machine"
    ALL = "all"  # rejected and failed ones too


class RunStatus(StrEnum):
    """An ingest run's state (``ingest_runs.status``), and how a harvest source's last run ended."""

    RUNNING = "running"  # or killed: ``chm-search ingest --resume`` carries on with it
    FINISHED = "finished"
    INTERRUPTED = "interrupted"  # stopped with Ctrl-C
    FAILED = "failed"  # a harvest that stopped on an error


class SourceKind(StrEnum):
    """What a harvested source is (``harvest_sources.kind``): which reader ``chm-search sources``
    runs on it."""

    CBD = "cbd"  # a CBD clearing-house's own API
    OAI = "oai"  # an OAI-PMH repository
    FEED = "feed"  # an RSS or Atom feed


# An API key's role (``api_keys.role``): what the key may do. Here, not in ``keys``, so that
# ``chm-search keys create --help`` can name them without loading the catalogue's SQL layer.
ROLES: tuple[str, ...] = ("partner", "ingest", "curator", "translator", "admin")


class TranslatedKind(StrEnum):
    """Where a text translated on request came from (``/libretranslate/translate``'s
    ``provenance.kind``)."""

    UNTRANSLATED = "untranslated"
    UNCHANGED = "unchanged"  # nothing to translate in it
    REVIEWED = "reviewed"  # every sentence a curator's
    MIXED = "mixed"  # some sentences a curator's, the others the machine's
    MACHINE = "machine"


# Which version of a field a reader sees, best first (``search_index.documents.best_texts``).
DISPLAY_PRIORITY: dict[str, int] = {Provenance.REVIEWED: 0, Provenance.ORIGINAL: 1, Provenance.MACHINE: 2}
