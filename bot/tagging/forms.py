"""Text normalisation and word forms built once at start-up with pymorphy3.

Everything here runs while dictionaries are built; the hot path of tagging only
uses :func:`normalize` and :data:`WORD_PATTERN`.

Conventions for the phrases written in the reference files:

- ``"Иркутская область"`` is inflected as a noun phrase: words up to and including the
  first noun agree in case (and number, when plural forms are wanted); words after the
  head noun stay as written («Республик**е** Татарстан»).
- ``"Приангарье"``: an unknown neuter noun in «-ье» gets its forms generated here,
  because pymorphy3 guesses such nicknames wrongly («приангарья»).
- ``"Ростов-на-Дону|Ростова-на-Дону|..."``: a ``|`` lists every form literally; nothing
  is inflected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pymorphy3

# A word, with inner hyphens kept («Ханты-Мансийского», «ХМАО-Югры»), or a sentence mark
# or quote, kept as a boundary token so that phrases never match across sentences.
WORD_PATTERN = re.compile(r"\w+(?:-\w+)*|[.!?;…«»\"“”„]")
BOUNDARY = "."
LITERAL_SEPARATOR = "|"

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_ADJECTIVES = frozenset({"ADJF", "PRTF"})
_NEUTER_SUFFIX = "ье"
_NEUTER_ENDINGS = ("ье", "ья", "ью", "ьем")
_BOUNDARY_MARKS = frozenset('.!?;…«»"“”„')


def normalize(text: str) -> str:
    """Lowercase with «ё» folded into «е»: the one spelling every dictionary key uses."""
    return text.lower().replace("ё", "е")


def split_tokens(text: str) -> list[str]:
    """Words of ``text`` as written; sentence marks and quotes become ``"."``."""
    return [BOUNDARY if tok in _BOUNDARY_MARKS else tok for tok in WORD_PATTERN.findall(text)]


class Inflector:
    """Expands words and phrases into all their normalised word forms."""

    def __init__(self, morph: pymorphy3.MorphAnalyzer | None = None) -> None:
        self._morph = morph if morph is not None else pymorphy3.MorphAnalyzer()

    @property
    def morph(self) -> pymorphy3.MorphAnalyzer:
        return self._morph

    def forms(self, phrase: str, *, plural: bool = False) -> frozenset[str]:
        """Every form of ``phrase`` (see the module docstring for the notation).

        ``plural`` adds plural forms (adjectives and plural-only nouns always have them).
        Abbreviations in capitals («РЖД», «БПЛА») are not inflected. Homonyms are the
        data's business: a form that is also another word («стали» of «стать») is avoided
        by listing the forms literally.
        """
        if LITERAL_SEPARATOR in phrase:
            return frozenset(
                normalize(" ".join(part.split()))
                for part in phrase.split(LITERAL_SEPARATOR)
                if part.strip()
            )
        words = phrase.split()
        if not words:
            return frozenset()
        if len(words) == 1:
            return self._word_forms(words[0], plural=plural)
        return self._phrase_forms(words, plural=plural)

    def is_adjective(self, word: str) -> bool:
        """Whether pymorphy3 reads ``word`` first as a full adjective («Иркутская»)."""
        parse = self._best_parse(word)
        return parse is not None and parse.tag.POS in _ADJECTIVES

    def _best_parse(self, word: str) -> pymorphy3.analyzer.Parse | None:
        parses = self._morph.parse(word)
        if not parses or parses[0].tag.POS is None:
            return None
        if "Fixd" in parses[0].tag:
            return None
        lemma = normalize(word)
        own = [p for p in parses if normalize(p.normal_form) == lemma] or parses
        geox = [p for p in own if "Geox" in p.tag]
        return (geox or own)[0]

    def _word_forms(self, word: str, *, plural: bool) -> frozenset[str]:
        norm = normalize(word)
        if word.isupper():
            return frozenset({norm})
        if norm.endswith(_NEUTER_SUFFIX) and not self._morph.word_is_known(norm):
            stem = norm[: -len(_NEUTER_SUFFIX)]
            return frozenset(stem + ending for ending in _NEUTER_ENDINGS)
        parse = self._best_parse(word)
        if parse is None:
            return frozenset({norm})
        keep_plural = plural or "Pltm" in parse.tag or parse.tag.POS in _ADJECTIVES
        forms = {norm}
        for form in parse.lexeme:
            if form.tag.POS != parse.tag.POS:
                continue
            if form.tag.number == "plur" and not keep_plural:
                continue
            forms.add(normalize(form.word))
        return frozenset(forms)

    def _phrase_forms(self, words: list[str], *, plural: bool) -> frozenset[str]:
        parses = [self._best_parse(word) for word in words]
        head = next(
            (i for i, p in enumerate(parses) if p is not None and p.tag.POS == "NOUN"), None
        )
        written = normalize(" ".join(words))
        if head is None:
            return frozenset({written})
        head_parse = parses[head]
        assert head_parse is not None
        gender = head_parse.tag.gender
        animacy = head_parse.tag.animacy or "inan"
        forms = {written}
        for number in ("sing", "plur") if plural else ("sing",):
            for case in _CASES:
                phrase = self._agree(
                    words, parses, head, case=case, number=number, gender=gender, animacy=animacy
                )
                if phrase is not None:
                    forms.add(phrase)
        return frozenset(forms)

    @staticmethod
    def _agree(
        words: list[str],
        parses: list[pymorphy3.analyzer.Parse | None],
        head: int,
        *,
        case: str,
        number: str,
        gender: str | None,
        animacy: str,
    ) -> str | None:
        out: list[str] = []
        for index, (word, parse) in enumerate(zip(words, parses, strict=True)):
            if index > head or parse is None:
                out.append(normalize(word))
                continue
            grammemes = {case, number}
            if parse.tag.POS in _ADJECTIVES:
                if number == "sing" and gender:
                    grammemes.add(gender)
                if case == "accs" and (number == "plur" or gender == "masc"):
                    grammemes.add(animacy)
            elif index != head:
                out.append(normalize(word))
                continue
            inflected = parse.inflect(grammemes)
            if inflected is None:
                return None
            out.append(normalize(inflected.word))
        return " ".join(out)


def forms_of_all(inflector: Inflector, phrases: Iterable[str]) -> frozenset[str]:
    """The union of the singular forms of several phrases."""
    result: set[str] = set()
    for phrase in phrases:
        result |= inflector.forms(phrase)
    return frozenset(result)
