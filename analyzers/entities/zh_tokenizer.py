"""The Chinese tokenizer of the matcher's pipeline: spaCy's character segmentation, in one pass.

Chinese is matched character by character, so that ``巴西`` is found in ``巴西政府``; spaCy's own
tokenizer for that segmentation finds each character again in the text, which grows with the
square of the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc

_WHITESPACE_RUN = re.compile(r"(\s+)")


class _ChineseCharTokenizer:
    """spaCy's Chinese tokenizer with its default "char" segmentation: the same Docs, faster.

    ``spacy.lang.zh`` makes a token of each character, then finds each one again in the text with
    ``util.get_words_and_spaces``, which copies the rest of the text once per character: ~80 µs for
    a 150-character text, and quadratic (0.25 s for a 100,000-character chunk). Splitting at
    whitespace runs gives the same words and spaces in one pass: each character that is not
    whitespace is a token, a single " " after one is its trailing space, and the rest of a
    whitespace run is a token of its own.
    """

    def __init__(self, vocab: Any) -> None:
        from spacy.tokens import Doc

        self.vocab = vocab
        self._doc = Doc

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        parts = _WHITESPACE_RUN.split(text)  # characters, whitespace, characters, ..., characters
        for index in range(0, len(parts), 2):
            chars = parts[index]
            words.extend(chars)
            spaces.extend([False] * len(chars))
            if index + 1 < len(parts):
                run = parts[index + 1]
                if chars and run[0] == " ":
                    spaces[-1] = True
                    run = run[1:]
                if run:
                    words.append(run)
                    spaces.append(False)
        return self._doc(self.vocab, words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str]) -> Iterator[Doc]:
        for text in texts:
            yield self(text)
