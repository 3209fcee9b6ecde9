"""The languages the system knows: the six official languages of the United Nations."""

from __future__ import annotations

from record_catalogue.codes import UNDETERMINED, LanguageCode

UN_LANGUAGES: tuple[str, ...] = tuple(code.value for code in LanguageCode)

# Names of each language in each UN language, for facet labels and the language switch.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "ar": {"ar": "العربية", "en": "Arabic", "es": "Árabe", "fr": "Arabe", "ru": "Арабский", "zh": "阿拉伯文"},
    "en": {"ar": "الإنكليزية", "en": "English", "es": "Inglés", "fr": "Anglais", "ru": "Английский", "zh": "英文"},
    "es": {"ar": "الإسبانية", "en": "Spanish", "es": "Español", "fr": "Espagnol", "ru": "Испанский", "zh": "西班牙文"},
    "fr": {"ar": "الفرنسية", "en": "French", "es": "Francés", "fr": "Français", "ru": "Французский", "zh": "法文"},
    "ru": {"ar": "الروسية", "en": "Russian", "es": "Ruso", "fr": "Russe", "ru": "Русский", "zh": "俄文"},
    "zh": {"ar": "الصينية", "en": "Chinese", "es": "Chino", "fr": "Chinois", "ru": "Китайский", "zh": "中文"},
    "und": {
        "ar": "غير محددة",
        "en": "Undetermined",
        "es": "Indeterminado",
        "fr": "Indéterminée",
        "ru": "Не определён",
        "zh": "未确定",
    },
}

__all__ = ["LANGUAGE_NAMES", "UNDETERMINED", "UN_LANGUAGES", "known_languages", "language_label"]


def language_label(code: str, display: str) -> str:
    """The name of language ``code`` written in language ``display`` (the code itself if unknown)."""
    return LANGUAGE_NAMES.get(code, {}).get(display, code)


def known_languages(codes: list[str], unknown_are: str = "unknown language code(s)") -> list[str]:
    """``codes``, each one of the six and at least one; ValueError naming the others otherwise
    (``unknown_are`` says what they are to the one who configured them)."""
    unknown = [code for code in codes if code not in UN_LANGUAGES]
    if unknown:
        raise ValueError(f"{unknown_are} {', '.join(unknown)}; known: {', '.join(UN_LANGUAGES)}")
    if not codes:
        raise ValueError("at least one language is needed")
    return codes
