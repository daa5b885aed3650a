"""Topic keywords expanded into word forms and found in tokenised text."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.models import Topic
from bot.tagging.forms import Inflector


class TopicMatcher:
    """Finds topics by looking up every word n-gram of a text in a form dictionary.

    Unlike regions, topic keywords do not take their words away from each other:
    «нефтехимический» may reveal chemistry while «нефтехимический завод» reveals more.
    """

    def __init__(self, topics: Sequence[Topic], inflector: Inflector) -> None:
        words: dict[str, set[str]] = {}
        phrases: dict[tuple[str, ...], set[str]] = {}
        longest: dict[str, int] = {}
        for topic in topics:
            for keyword in topic.keywords:
                for form in inflector.forms(keyword, plural=True):
                    key = tuple(form.split())
                    if len(key) == 1:
                        words.setdefault(form, set()).add(topic.slug)
                    else:
                        phrases.setdefault(key, set()).add(topic.slug)
                        longest[key[0]] = max(longest.get(key[0], 1), len(key))
        self._words = {key: tuple(sorted(slugs)) for key, slugs in words.items()}
        self._phrases = {key: tuple(sorted(slugs)) for key, slugs in phrases.items()}
        self._longest = longest
        every_word = [*words, *(word for key in phrases for word in key)]
        self.hyphenated = frozenset(word for word in every_word if "-" in word)

    def find(self, lowered: tuple[str, ...], found: set[str]) -> None:
        """Add to ``found`` the slugs of the topics whose keywords occur in the tokens."""
        words = self._words
        phrases = self._phrases
        longest = self._longest
        count = len(lowered)
        for i, word in enumerate(lowered):
            slugs = words.get(word)
            if slugs is not None:
                found.update(slugs)
            size = longest.get(word)
            if size is None:
                continue
            for end in range(i + 2, min(i + size, count) + 1):
                slugs = phrases.get(lowered[i:end])
                if slugs is not None:
                    found.update(slugs)
