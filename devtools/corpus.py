"""A generated corpus of CBD-format records: three realms, six languages, realistic shapes.

Deterministic for a seed, so benchmarks and tests compare like with like. Sentences are built
from per-language templates and vocabularies (countries, topics, targets, decisions, symbols),
so analysis, facets and entity tagging have real work to do.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.html_text import html_to_text
from record_catalogue.codes import Realm, TranslationStatus
from record_catalogue.languages import UN_LANGUAGES
from search_index.base import IndexDocument

REALM_SCHEMAS = {
    "ABS": ["absPermit", "measure", "absCheckpoint", "absNationalReport", "communityProtocol"],
    "BCH": ["biosafetyLaw", "biosafetyDecision", "modifiedOrganism", "nationalRiskAssessment"],
    "CHM": ["nationalTarget", "nationalReport6", "caseStudy", "marineEbsa", "notification"],
}
COUNTRIES = ["br", "mx", "in", "ke", "cn", "fr", "eg", "ru", "pe", "co", "za", "id", "ca", "de", "ma", "ar"]

VOCAB: dict[str, dict[str, list[str]]] = {
    "en": {
        "topic": [
            "protected areas",
            "genetic resources",
            "marine ecosystems",
            "invasive alien species",
            "forest biodiversity",
            "traditional knowledge",
            "living modified organisms",
            "benefit-sharing agreements",
            "wetlands",
            "pollinators",
        ],
        "action": ["conserve", "restore", "monitor", "regulate", "assess", "protect"],
        "title": [
            "National strategy on {topic}",
            "Permit for research on {topic}",
            "Assessment of {topic} in {country}",
            "Report on {topic}",
            "Guidelines for {topic}",
        ],
        "sentence": [
            "{country} adopted measures to {action} {topic} in line with Aichi Biodiversity Target {aichi}.",
            "The plan contributes to Target {gbf} of the Kunming-Montreal Global Biodiversity Framework.",
            "This record refers to decision {decision} and document {symbol}.",
            "Authorities will {action} {topic} with indigenous peoples and local communities.",
            "Funding for {topic} increased over the reporting period.",
        ],
    },
    "fr": {
        "topic": [
            "aires protégées",
            "ressources génétiques",
            "écosystèmes marins",
            "espèces exotiques envahissantes",
            "diversité biologique des forêts",
            "connaissances traditionnelles",
            "zones humides",
            "pollinisateurs",
        ],
        "action": ["conserver", "restaurer", "surveiller", "réglementer", "évaluer", "protéger"],
        "title": [
            "Stratégie nationale sur les {topic}",
            "Permis de recherche sur les {topic}",
            "Évaluation des {topic}",
            "Rapport sur les {topic}",
        ],
        "sentence": [
            "Le pays a adopté des mesures pour {action} les {topic}, conformément à l'objectif {aichi} d'Aichi.",
            "Le plan contribue à la cible {gbf} du Cadre mondial de la biodiversité de Kunming-Montréal.",
            "Cette fiche renvoie à la décision {decision} et au document {symbol}.",
            "Les autorités vont {action} les {topic} avec les peuples autochtones.",
        ],
    },
    "es": {
        "topic": [
            "áreas protegidas",
            "recursos genéticos",
            "ecosistemas marinos",
            "especies exóticas invasoras",
            "diversidad biológica forestal",
            "conocimientos tradicionales",
            "humedales",
            "polinizadores",
        ],
        "action": ["conservar", "restaurar", "vigilar", "regular", "evaluar", "proteger"],
        "title": [
            "Estrategia nacional sobre {topic}",
            "Permiso de investigación sobre {topic}",
            "Evaluación de {topic}",
            "Informe sobre {topic}",
        ],
        "sentence": [
            "El país adoptó medidas para {action} los {topic}, de acuerdo con la Meta {aichi} de Aichi.",
            "El plan contribuye a la meta {gbf} del Marco Mundial de Biodiversidad de Kunming-Montreal.",
            "Este registro remite a la decisión {decision} y al documento {symbol}.",
            "Las autoridades van a {action} los {topic} con los pueblos indígenas.",
        ],
    },
    "ru": {
        "topic": [
            "охраняемых территорий",
            "генетических ресурсов",
            "морских экосистем",
            "инвазивных чужеродных видов",
            "лесного биоразнообразия",
            "традиционных знаний",
            "водно-болотных угодий",
        ],
        "action": ["сохранения", "восстановления", "мониторинга", "регулирования", "оценки"],
        "title": ["Национальная стратегия {action} {topic}", "Доклад о состоянии {topic}", "Оценка {topic}"],
        "sentence": [
            "Страна приняла меры для {action} {topic} в соответствии с целевой задачей {aichi} Айти.",
            "План способствует достижению цели {gbf} Куньминско-Монреальской рамочной программы.",
            "Эта запись ссылается на решение {decision} и документ {symbol}.",
            "Сохранение биологического разнообразия остаётся приоритетом.",
        ],
    },
    "zh": {
        "topic": ["保护区", "遗传资源", "海洋生态系统", "外来入侵物种", "森林生物多样性", "传统知识", "湿地"],
        "action": ["保护", "恢复", "监测", "管理", "评估"],
        "title": ["关于{topic}的国家战略", "{topic}研究许可", "{topic}评估报告"],
        "sentence": [
            "该国采取措施{action}{topic}，以实现爱知生物多样性目标{aichi}。",
            "该计划有助于实现昆明-蒙特利尔全球生物多样性框架目标{gbf}。",
            "本记录涉及第{decision}号决定和文件{symbol}。",
            "生物多样性公约缔约方继续加强合作。",
        ],
    },
    "ar": {
        "topic": [
            "المناطق المحمية",
            "الموارد الجينية",
            "النظم الإيكولوجية البحرية",
            "الأنواع الغريبة الغازية",
            "التنوع البيولوجي للغابات",
            "المعارف التقليدية",
            "الأراضي الرطبة",
        ],
        "action": ["حفظ", "استعادة", "رصد", "تنظيم", "تقييم"],
        "title": ["الاستراتيجية الوطنية بشأن {topic}", "تقرير عن {topic}", "تقييم {topic}"],
        "sentence": [
            "اعتمد البلد تدابير من أجل {action} {topic} وفقا لهدف أيشي {aichi}.",
            "تسهم الخطة في تحقيق الهدف {gbf} من إطار كونمينغ-مونتريال العالمي للتنوع البيولوجي.",
            "يشير هذا السجل إلى المقرر {decision} والوثيقة {symbol}.",
            "يظل حفظ التنوع البيولوجي أولوية وطنية.",
        ],
    },
}
LANGUAGE_WEIGHTS = {"en": 40, "es": 18, "fr": 16, "ru": 9, "zh": 9, "ar": 8}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]


def _fill(rng: random.Random, template: str, lang: str, country: str) -> str:
    vocab = VOCAB[lang]
    return template.format(
        topic=rng.choice(vocab["topic"]),
        action=rng.choice(vocab["action"]),
        country=country.upper(),
        aichi=rng.randint(1, 20),
        gbf=rng.randint(1, 23),
        decision=f"{rng.choice(ROMAN)}/{rng.randint(1, 30)}",
        symbol=f"UNEP/CBD/COP/{rng.randint(9, 15)}/{rng.randint(1, 30)}",
    )


def generate(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``count`` CBD-format records; about a fifth carry a second language."""
    rng = random.Random(seed)
    languages = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    for n in range(count):
        realm = rng.choice(list(REALM_SCHEMAS))
        schema = rng.choice(REALM_SCHEMAS[realm])
        country = rng.choice(COUNTRIES)
        langs = [rng.choices(languages, weights)[0]]
        if rng.random() < 0.2:
            langs.append(rng.choice([code for code in languages if code != langs[0]]))
        record: dict[str, Any] = {
            "header": {
                "identifier": str(uuid.UUID(int=rng.getrandbits(128))).upper(),
                "schema": schema,
                "languages": langs,
                "realm": realm,
            },
            "government": {"identifier": country},
            "title": {},
            "summary": {},
            "relevantInformation": {},
            "updatedOn": f"{rng.randint(2010, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        for lang in langs:
            vocab = VOCAB[lang]
            record["title"][lang] = _fill(rng, rng.choice(vocab["title"]), lang, country)
            record["summary"][lang] = " ".join(
                _fill(rng, rng.choice(vocab["sentence"]), lang, country) for _ in range(2)
            )
            paragraphs = rng.randint(1, 4)
            record["relevantInformation"][lang] = "".join(
                "<p>" + " ".join(_fill(rng, rng.choice(vocab["sentence"]), lang, country) for _ in range(3)) + "</p>"
                for _ in range(paragraphs)
            )
        record["header"]["identifier"] = f"GEN-{n:07d}-{record['header']['identifier'][:8]}"
        yield record


def write_jsonl(path: Path, count: int, seed: int = 7) -> Path:
    """Write the corpus as a JSON-lines dump (the shape of the clearing-houses' exports)."""
    with path.open("w", encoding="utf-8") as handle:
        for record in generate(count, seed):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def index_documents(dump: Path) -> list[IndexDocument]:
    """The dump as index documents, languages taken from the source (bench/search.py indexes these)."""
    return list(iter_index_documents(dump))


def iter_index_documents(dump: Path) -> Iterator[IndexDocument]:
    """``index_documents`` one at a time, reading the dump line by line: a million documents held
    at once would take gigabytes of a machine others share (bench/search.py --records 1000000)."""
    with dump.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            langs = record["header"]["languages"]
            realm = Realm(record["header"]["realm"])
            yield {
                "id": record["header"]["identifier"],
                "realm": realm,
                "schema": record["header"]["schema"],
                "government": record["government"]["identifier"],
                "original_language": langs[0],
                "languages": langs,
                "title": record["title"],
                "summary": record["summary"],
                "text": {k: html_to_text(v) for k, v in record["relevantInformation"].items()},
                "status": {
                    lang: (TranslationStatus.ORIGINAL if lang in langs else TranslationStatus.PENDING)
                    for lang in UN_LANGUAGES
                },
                "names": record["header"]["identifier"] + " " + " ".join(record["title"].values()),
                "entities": [],
                "date": record["updatedOn"],
                "year": int(record["updatedOn"][:4]),
                "url": None,
                "cbd_id": None,
                "updated_at": record["updatedOn"],
                "realms": [realm],
                "sources": [],
            }
