"""Organisations from a statistical spaCy model, where one is installed.

The gazetteer knows the organisations CBD records name most; a model finds the others, at a cost
(a model is far slower than the blank pipelines), so it is used only where it is installed and
never downloaded. Among spans of one length its entities rank last: a name the gazetteer knows
wins.
"""

from __future__ import annotations

import re
import threading
from contextlib import AbstractContextManager
from functools import cache
from typing import TYPE_CHECKING

from analyzers.entities.kinds import _NER_PRIORITY, _Candidate

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Official spaCy packages with an NER component, per language, in order of preference (the
# transformers last: an order of magnitude slower on CPU; es/fr_dep_news_trf have no NER).
# xx_ent_wiki_sm is trained on WikiNER, which has en, es, fr and ru among its languages; there is
# no official Arabic pipeline.
OFFICIAL_NER_MODELS: dict[str, tuple[str, ...]] = {
    "en": ("en_core_web_lg", "en_core_web_md", "en_core_web_sm", "en_core_web_trf", "xx_ent_wiki_sm"),
    "es": ("es_core_news_lg", "es_core_news_md", "es_core_news_sm", "xx_ent_wiki_sm"),
    "fr": ("fr_core_news_lg", "fr_core_news_md", "fr_core_news_sm", "xx_ent_wiki_sm"),
    "ru": ("ru_core_news_lg", "ru_core_news_md", "ru_core_news_sm", "xx_ent_wiki_sm"),
    "zh": ("zh_core_web_lg", "zh_core_web_md", "zh_core_web_sm", "zh_core_web_trf"),
    "ar": (),
}
_ORG_LABELS = {"ORG", "ORGANIZATION"}
_NER_KEEP = {"ner", "entity_ruler", "tok2vec", "transformer"}
_SLUG = re.compile(r"[^\w]+")


@cache
def installed_ner_model(lang: str) -> str | None:
    """The official spaCy NER package installed for ``lang``, if any (checked once, never downloaded)."""
    import spacy.util

    for name in OFFICIAL_NER_MODELS.get(lang, ()):
        if spacy.util.is_package(name):
            return name
    return None


class _NerModel:
    """A statistical (or any saved) spaCy pipeline whose ORG entities become ``org:`` entities."""

    def __init__(self, name: str) -> None:
        import spacy

        self.lock = threading.RLock()
        nlp: Language = spacy.load(name)
        unused = [component for component in nlp.pipe_names if component not in _NER_KEEP]
        if unused:
            nlp.select_pipes(disable=unused)
        self.nlp = nlp

    def zone(self) -> AbstractContextManager[object]:
        """A memory zone: a model is slow anyway, and its vocabulary must not grow for ever."""
        return self.nlp.memory_zone()

    def candidates(self, doc: Doc, text: str, offset: int) -> list[_Candidate]:
        del text  # the entities carry their own offsets
        out: list[_Candidate] = []
        for ent in doc.ents:
            if ent.label_ in _ORG_LABELS:
                slug = _SLUG.sub("-", ent.text.lower()).strip("-")[:80].rstrip("-")  # facet ids stay short
                if slug:
                    out.append(_Candidate(ent.start_char + offset, ent.end_char + offset, "org", slug, _NER_PRIORITY))
        return out
