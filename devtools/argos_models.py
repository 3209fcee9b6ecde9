"""Build a tiny but real Argos Translate package (``.argosmodel``) whose output tests can predict.

No translation model can be downloaded on the machines this project is developed and tested on,
yet the tests must run the real loading and translating code (argostranslate's package and
tokenizer, CTranslate2's translator). So this builds one from nothing but data it makes:

- a **SentencePiece** unigram model written directly as a ``ModelProto``: one piece per word of a
  small CBD lexicon (both languages, as Argos packages share one vocabulary), plus punctuation,
  digits and single characters so that any other text still tokenises (word pieces score far
  higher than characters, so a lexicon word is always one piece);
- a **CTranslate2 Transformer** built with ``ctranslate2.specs``, whose weights make the decoder
  copy the source token ids: at decoder step *t* the cross-attention looks only at source
  position *t* (position codes as queries and keys) and copies that token's code into a
  subspace the output projection reads. The *target* vocabulary holds, at each id, the
  translation of the source piece at that id, so the model translates word by word:
  ``"The forest is protected."`` → ``"La forêt est protégée."``; words outside the lexicon are
  copied unchanged (character pieces map to themselves), and a source ``</s>`` (added by the
  model config) ends the output;
- ``metadata.json`` as the Argos package index describes it, all zipped under one directory.

Every code vector is a balanced ±1 vector, so every layer norm in the (pre-norm) Transformer is
an exact scaling and the construction holds through them. ``--size base`` gives the shape of a
real Argos package (6+6 layers, d_model 512, 8 heads, FFN 2048, 32k vocabulary) with the same
copying behaviour, so benchmarks pay a realistic compute cost per token.

CLI: ``python devtools/argos_models.py --from en --to fr --out DIR`` prints the path of
the ``.argosmodel`` it wrote.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib
import json
import re
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# One row per concept: English, French, Spanish. Translations are one "word" each (a target
# token may hold spaces, written with ▁). The French and Spanish are real words, so language
# detection recognises the output.
LEXICON: tuple[tuple[str, str, str], ...] = (
    ("the", "la", "el"),
    ("a", "une", "una"),
    ("of", "de", "de"),
    ("and", "et", "y"),
    ("in", "dans", "en"),
    ("on", "sur", "sobre"),
    ("for", "pour", "para"),
    ("to", "à", "a"),
    ("with", "avec", "con"),
    ("by", "par", "por"),
    ("from", "depuis", "desde"),
    ("this", "cette", "esta"),
    ("is", "est", "es"),
    ("are", "sont", "son"),
    ("was", "était", "era"),
    ("will", "va", "va"),
    ("has", "a", "ha"),
    ("have", "ont", "han"),
    ("not", "pas", "no"),
    ("all", "toutes", "todas"),
    ("its", "sa", "su"),
    ("their", "leur", "su"),
    ("our", "notre", "nuestra"),
    ("new", "nouvelle", "nueva"),
    ("national", "nationale", "nacional"),
    ("strategy", "stratégie", "estrategia"),
    ("report", "rapport", "informe"),
    ("plan", "plan", "plan"),
    ("action", "action", "acción"),
    ("law", "loi", "ley"),
    ("permit", "permis", "permiso"),
    ("research", "recherche", "investigación"),
    ("forest", "forêt", "bosque"),
    ("forests", "forêts", "bosques"),
    ("river", "rivière", "río"),
    ("rivers", "rivières", "ríos"),
    ("water", "eau", "agua"),
    ("sea", "mer", "mar"),
    ("coast", "côte", "costa"),
    ("island", "île", "isla"),
    ("species", "espèces", "especies"),
    ("protected", "protégée", "protegida"),
    ("areas", "zones", "zonas"),
    ("area", "zone", "zona"),
    ("marine", "marine", "marina"),
    ("ecosystems", "écosystèmes", "ecosistemas"),
    ("genetic", "génétiques", "genéticos"),
    ("resources", "ressources", "recursos"),
    ("traditional", "traditionnelles", "tradicionales"),
    ("knowledge", "connaissances", "conocimientos"),
    ("local", "locales", "locales"),
    ("communities", "communautés", "comunidades"),
    ("indigenous", "autochtones", "indígenas"),
    ("peoples", "peuples", "pueblos"),
    ("country", "pays", "país"),
    ("government", "gouvernement", "gobierno"),
    ("ministry", "ministère", "ministerio"),
    ("environment", "environnement", "medio▁ambiente"),
    ("measures", "mesures", "medidas"),
    ("adopted", "adopté", "adoptó"),
    ("protects", "protège", "protege"),
    ("protect", "protéger", "proteger"),
    ("restore", "restaurer", "restaurar"),
    ("monitor", "surveiller", "vigilar"),
    ("conserve", "conserver", "conservar"),
    ("conservation", "conservation", "conservación"),
    ("sustainable", "durable", "sostenible"),
    ("use", "utilisation", "uso"),
    ("biological", "biologique", "biológica"),
    ("diversity", "diversité", "diversidad"),
    ("biodiversity", "biodiversité", "biodiversidad"),
    ("access", "accès", "acceso"),
    ("benefit-sharing", "partage▁des▁avantages", "participación▁en▁los▁beneficios"),
    ("living", "vivant", "vivo"),
    ("modified", "modifié", "modificado"),
    ("organism", "organisme", "organismo"),
    ("organisms", "organismes", "organismos"),
    ("clearing-house", "centre▁d'échange", "centro▁de▁intercambio"),
    ("mechanism", "mécanisme", "mecanismo"),
    ("protocol", "protocole", "protocolo"),
    ("convention", "convention", "convenio"),
    ("targets", "objectifs", "metas"),
    ("target", "objectif", "meta"),
    ("framework", "cadre", "marco"),
    ("global", "mondial", "mundial"),
    ("parties", "parties", "partes"),
    ("important", "important", "importante"),
    ("very", "très", "muy"),
    ("good", "bon", "bueno"),
    ("cat", "chat", "gato"),
    ("fish", "poisson", "pez"),
    ("bird", "oiseau", "pájaro"),
    ("birds", "oiseaux", "pájaros"),
    ("eats", "mange", "come"),
    ("sleeps", "dort", "duerme"),
    ("tree", "arbre", "árbol"),
    ("trees", "arbres", "árboles"),
    ("green", "vert", "verde"),
    ("salad", "salade", "ensalada"),
    ("today", "aujourd'hui", "hoy"),
    ("year", "année", "año"),
    ("people", "gens", "gente"),
    # Deliberately broken entries: the model "hallucinates" on them, as real models sometimes
    # do, so the sanity gate can be tested on real model output.
    ("hallucinate", "salade▁salade▁salade▁salade", "ensalada▁ensalada▁ensalada▁ensalada"),
    ("ramble", "▁".join(f"bavardage{i}" for i in range(40)), "▁".join(f"charla{i}" for i in range(40))),
)
COLUMNS = {"en": 0, "fr": 1, "es": 2}
# Russian for a few rows (enough for a Russian-only record about biological diversity to reach
# French through English); rows without an entry map to the English word. Forms are the ones
# CBD texts use ("сохранение биологического разнообразия").
RUSSIAN: dict[str, str] = {
    "biological": "биологического",
    "diversity": "разнообразия",
    "conservation": "сохранение",
    "national": "национальный",
    "report": "доклад",
    "protected": "охраняемых",
    "areas": "территорий",
    "forest": "лес",
    "species": "виды",
    "and": "и",
    "in": "в",
    "of": "по",
}
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "ru": "Russian",
    "zh": "Chinese",
}
SPECIALS = ("<unk>", "<s>", "</s>")
PUNCTUATION = ".,;:!?()[]{}'\"-–—/&%+*=<>#@_«»“”‘’…。，、！？；：（）؟؛،"
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789àâäçéèêëîïôöùûüÿœæñáíóúÀÂÇÉÈÊÎÔÙÛÑÁÍÓÚ"
    + CYRILLIC
    + CYRILLIC.upper()
)
CONTINUATIONS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæñáíóú" + CYRILLIC
SIZES = {
    # name: (layers, d_model, heads, ffn, vocabulary padded to)
    "tiny": (1, 192, 3, 32, 0),
    "base": (6, 512, 8, 2048, 32000),
}
CODE = 64  # dimensions of the token and position codes (one attention head)
MAX_POSITIONS = 1024


def _column(row: tuple[str, str, str], language: str) -> str:
    """A row's word in ``language`` (English for languages the lexicon has no column for)."""
    if language == "ru":
        return RUSSIAN.get(row[0], row[0])
    return row[COLUMNS[language]] if language in COLUMNS else row[0]


@dataclass(frozen=True)
class Lexicon:
    """Word pairs for one direction, with capitalised variants."""

    pairs: dict[str, str]

    @classmethod
    def for_pair(cls, source: str, target: str, output_language: str | None = None) -> Lexicon:
        """The lexicon ``source``→``target`` (or →``output_language``, to build a mislabelled model).

        Languages outside the lexicon's columns get an identity mapping for their side, so any
        pair can be built (its output is then a copy of the input).
        """
        out = output_language or target
        pairs: dict[str, str] = {}
        for row in LEXICON:
            src = _column(row, source)
            tgt = _column(row, out) if out in COLUMNS or out == "ru" else src
            pairs.setdefault(src, tgt)
            pairs.setdefault(src[:1].upper() + src[1:], tgt[:1].upper() + tgt[1:])
        return cls(pairs)

    def translate(self, text: str) -> str:
        """What the built model outputs for ``text``: lexicon words translated, everything else kept.

        A lexicon word counts where SentencePiece makes it one piece: after a space (or at the
        start) and not followed by a letter ("forest," and "forest2" yes, "forestry" no).
        """
        words = sorted(self.pairs, key=len, reverse=True)
        pattern = re.compile(rf"(?:(?<=\s)|^)(?:{'|'.join(map(re.escape, words))})(?![^\W\d_])")
        return pattern.sub(lambda m: self.pairs[m.group(0)].replace("▁", " "), text)


def _balanced_codes(count: int, dims: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` unit vectors of ±1/sqrt(dims) with exactly as many + as - (zero mean)."""
    base = np.array([1.0] * (dims // 2) + [-1.0] * (dims // 2), dtype=np.float32)
    codes: np.ndarray = (np.stack([rng.permutation(base) for _ in range(count)]) / np.sqrt(dims)).astype(np.float32)
    return codes


def sentencepiece_pieces(lexicon: Lexicon, target_words: list[str]) -> list[tuple[str, float]]:
    """The pieces of the shared vocabulary with their unigram scores (ids follow this order)."""
    pieces: list[tuple[str, float]] = [(token, 0.0) for token in SPECIALS]
    seen = set(SPECIALS)

    def add(piece: str, score: float) -> None:
        if piece not in seen:
            seen.add(piece)
            pieces.append((piece, score))

    for word in [*lexicon.pairs, *target_words]:
        # A target word holding ▁ (several words) is no single piece of the shared vocabulary.
        if "▁" not in word:
            add("▁" + word, -1.0)
    # A word that merely starts with a lexicon word ("forestry", "around") must not be cut after
    # it: "▁forest" + "r" + "y" would translate its head. A piece for the lexicon word plus its
    # next letter, mapped to itself, wins over that cut (same score, one piece fewer).
    for word in lexicon.pairs:
        for letter in CONTINUATIONS:
            add("▁" + word + letter, -1.0)
    add("▁", -5.0)
    for char in PUNCTUATION + LETTERS:
        add(char, -10.0)
    return pieces


def write_sentencepiece(pieces: list[tuple[str, float]], path: Path) -> None:
    """Write a unigram SentencePiece model holding exactly ``pieces``."""
    sp_pb2: Any = importlib.import_module("sentencepiece.sentencepiece_model_pb2")  # generated, untyped

    model = sp_pb2.ModelProto()
    model.trainer_spec.model_type = sp_pb2.TrainerSpec.UNIGRAM
    model.trainer_spec.vocab_size = len(pieces)
    model.trainer_spec.unk_id, model.trainer_spec.bos_id, model.trainer_spec.eos_id = 0, 1, 2
    model.trainer_spec.pad_id = -1
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = True
    model.normalizer_spec.escape_whitespaces = True
    kinds = {"<unk>": sp_pb2.ModelProto.SentencePiece.UNKNOWN}
    for piece, score in pieces:
        entry = model.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = kinds.get(piece, sp_pb2.ModelProto.SentencePiece.CONTROL if piece in SPECIALS else 1)
    path.write_bytes(model.SerializeToString())


def write_ctranslate2(source_vocab: list[str], target_vocab: list[str], size: str, out: Path, seed: int) -> None:
    """Write the copying Transformer (see the module docstring) as a CTranslate2 model directory."""
    import ctranslate2  # type: ignore[import-untyped]

    layers, d_model, heads, ffn, pad_to = SIZES[size]
    if d_model // heads != CODE or d_model < 3 * CODE:
        raise ValueError("each head must hold one code, and d_model three")
    real = len(source_vocab)
    if pad_to:  # the vocabulary size of a real package; padding tokens never win (zero codes)
        padding = [f"<pad{i}>" for i in range(max(0, pad_to - real))]
        source_vocab, target_vocab = source_vocab + padding, target_vocab + padding
    vocab = len(source_vocab)
    rng = np.random.default_rng(seed)
    tok, pos, cop = slice(0, CODE), slice(CODE, 2 * CODE), slice(2 * CODE, 3 * CODE)
    codes = _balanced_codes(vocab, CODE, rng)
    codes[real:] = 0.0
    positions = _balanced_codes(MAX_POSITIONS, CODE, rng)
    for start in range(0, real, 2048):  # any two tokens' codes far enough apart (in chunks: memory)
        gram = codes[start : min(start + 2048, real)] @ codes[:real].T
        gram[np.arange(gram.shape[0]), np.arange(start, start + gram.shape[0])] = 0.0
        if gram.max() > 0.8:
            raise ValueError("token codes too close; pick another seed")

    def zeros(*shape: int) -> np.ndarray:
        return np.zeros(shape, dtype=np.float32)

    def norm(spec: Any) -> None:
        spec.gamma = np.ones(d_model, dtype=np.float32)
        spec.beta = zeros(d_model)

    def linear(spec: Any, weight: np.ndarray) -> None:
        spec.weight = weight
        spec.bias = zeros(weight.shape[0])

    def identity_layer(layer: Any, cross: bool) -> None:
        """A residual layer whose sublayers add nothing (zero output projections)."""
        attention = layer.self_attention
        norm(attention.layer_norm)
        linear(attention.linear[0], rng.standard_normal((3 * d_model, d_model)).astype(np.float32) * 0.01)
        linear(attention.linear[1], zeros(d_model, d_model))
        if cross:
            attention = layer.attention
            norm(attention.layer_norm)
            linear(attention.linear[0], zeros(d_model, d_model))
            linear(attention.linear[1], zeros(2 * d_model, d_model))
            linear(attention.linear[2], zeros(d_model, d_model))
        norm(layer.ffn.layer_norm)
        linear(layer.ffn.linear_0, rng.standard_normal((ffn, d_model)).astype(np.float32) * 0.01)
        linear(layer.ffn.linear_1, zeros(d_model, ffn))

    def identity_stack(stack: Any, cross: bool) -> None:
        """What the encoder and the decoder share: unscaled embeddings, the position codes in the
        second block, the final layer norm, and layers that add nothing."""
        stack.scale_embeddings = False
        encodings = zeros(MAX_POSITIONS, d_model)
        encodings[:, pos] = positions
        stack.position_encodings.encodings = encodings
        norm(stack.layer_norm)
        for layer in stack.layer:
            identity_layer(layer, cross=cross)

    spec = ctranslate2.specs.TransformerSpec.from_config(layers, heads)
    # Encoder: output at position s is [code(token s) | code(position s) | 0], times sqrt(d/2)
    # after the final layer norm (zero mean, norm sqrt(2)).
    encoder = spec.encoder
    embeddings = zeros(vocab, d_model)
    embeddings[:, tok] = codes
    encoder.embeddings[0].weight = embeddings
    identity_stack(encoder, cross=False)

    # Decoder: input at step t is [0 | code(position t) | 0] (token embeddings are zero); the last
    # layer's first head matches position t against source positions and copies the source
    # token's code into the third block, which the output projection reads.
    decoder = spec.decoder
    decoder.embeddings.weight = zeros(vocab, d_model)
    identity_stack(decoder, cross=True)
    copy = decoder.layer[-1].attention
    sharpness = 80.0 * np.sqrt(CODE)  # attention logits 80 apart between the right position and others
    query = zeros(d_model, d_model)
    query[0:CODE, pos] = np.eye(CODE) * sharpness / np.sqrt(d_model)  # decoder LN scales by sqrt(d)
    key_value = zeros(2 * d_model, d_model)
    key_value[0:CODE, pos] = np.eye(CODE) / np.sqrt(d_model / 2)  # encoder output is scaled by sqrt(d/2)
    key_value[d_model : d_model + CODE, tok] = np.eye(CODE) / np.sqrt(d_model / 2)
    output = zeros(d_model, d_model)
    output[cop, 0:CODE] = np.eye(CODE)
    linear(copy.linear[0], query)
    linear(copy.linear[1], key_value)
    linear(copy.linear[2], output)
    projection = zeros(vocab, d_model)
    projection[:, cop] = codes * 40.0 / np.sqrt(d_model / 2)  # logits 40 for the copied token, ≤ 32 else
    linear(decoder.projection, projection)

    spec.register_source_vocabulary(source_vocab)
    spec.register_target_vocabulary(target_vocab)
    spec.config.add_source_eos = True
    spec.validate()
    spec.optimize(quantization="int8")  # as Argos packages ship; the copy survives quantization
    spec.save(str(out))


def builder_fingerprint() -> str:
    """A hash of this file: caches of built packages are keyed by it."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def build_package(
    source: str,
    target: str,
    out_dir: Path,
    *,
    size: str = "tiny",
    version: str = "1.0",
    output_language: str | None = None,
    seed: int = 7,
) -> Path:
    """Write ``translate-{source}_{target}-{version}.argosmodel`` into ``out_dir``; return its path.

    ``output_language`` builds a deliberately mislabelled package (it says ``target`` but
    writes ``output_language``), for the wrong-language check of the sanity gate.
    """
    lexicon = Lexicon.for_pair(source, target, output_language)
    pieces = sentencepiece_pieces(lexicon, list(dict.fromkeys(lexicon.pairs.values())))
    source_vocab = [piece for piece, _ in pieces]
    target_vocab = []
    for piece in source_vocab:
        word = piece[1:] if piece.startswith("▁") else None
        target_vocab.append("▁" + lexicon.pairs[word] if word in lexicon.pairs else piece)
    name = f"translate-{source}_{target}-{version.replace('.', '_')}"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / name
        (root / "model").mkdir(parents=True)
        write_sentencepiece(pieces, root / "sentencepiece.model")
        write_ctranslate2(source_vocab, target_vocab, size, root / "model", seed)
        metadata = {
            "package_version": version,
            "argos_version": "1.9",
            "from_code": source,
            "from_name": LANGUAGE_NAMES.get(source, source),
            "to_code": target,
            "to_name": LANGUAGE_NAMES.get(target, target),
            "type": "translate",
            "links": [],
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (root / "README.md").write_text(
            f"Test package {source}→{target} built by devtools/argos_models.py: a word-by-word "
            "copying Transformer, not a translation model.\n",
            encoding="utf-8",
        )
        archive = out_dir / f"{name}.argosmodel"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(root.rglob("*")):
                zipped.write(path, path.relative_to(tmp))
    return archive


def cached_package(source: str, target: str, cache_dir: Path, **options: str) -> Path:
    """``build_package`` once per builder version and options; later calls reuse the file.

    Processes asking at once (pytest-xdist's workers) take turns: one builds, the others reuse it."""
    key = hashlib.sha256(json.dumps([builder_fingerprint(), source, target, options], sort_keys=True).encode())
    folder = cache_dir / key.hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".build-lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = sorted(folder.glob("*.argosmodel")) if folder.exists() else []
        if found:
            return found[0]
        staging = Path(tempfile.mkdtemp(dir=cache_dir.parent))
        try:
            built = build_package(source, target, staging, **options)  # type: ignore[arg-type]
            folder.mkdir(parents=True, exist_ok=True)
            final = folder / built.name
            shutil.move(str(built), final)
            return final
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--from", dest="source", required=True, help="source language code, e.g. en")
    parser.add_argument("--to", dest="target", required=True, help="target language code, e.g. fr")
    parser.add_argument("--out", type=Path, required=True, help="directory to write the .argosmodel into")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny", help="tiny (tests) or base (benchmarks)")
    parser.add_argument("--version", default="1.0", help="package_version in metadata.json")
    args = parser.parse_args(argv)
    path = build_package(args.source, args.target, args.out, size=args.size, version=args.version)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
