"""Machine translation into the six UN languages, with Argos Translate by default.

The modules, in the order a text goes through them:

- ``worker``: which fields of which records need which languages; stores results, re-indexes.
- ``translator``: the stage itself: segments, memory, glossary, engine, gate, reassembly.
- ``assembly``, ``markup`` and ``segment``: HTML runs, then sentences per language (and back).
- ``fields``: writing a translated field, its sentence uses, stale marking (shared with curation).
- ``curation``: the curators' queue, edits, rejections and history; a correction reaches every
  record containing the sentence. ``indexing``: re-indexing what changed.
- ``tmx`` and ``tbx``: the translation memory and the glossary in CAT tools' exchange formats.
- ``memory``: the translation memory in the catalogue (``record_catalogue.memory_models``).
- ``glossary``: CBD terms (``data/glossary.csv``) protected by placeholders.
- ``engines``: the engine interface and routes (direct, or pivoting through English).
- ``argos_engine`` and ``packages``: Argos packages on disk, loaded and run with CTranslate2.
- ``gate``: the sanity checks that keep broken output from readers.
- ``status``: what is installed and reachable, for the API; ``query``: queries translated for
  cross-lingual search; ``cli``: the commands.

Nothing here imports ``search_api`` or ``ingest``: ingest never waits for translation.
"""
