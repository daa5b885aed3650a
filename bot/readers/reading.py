"""Reading the news: the newest articles for a chat's rules or a region, and search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.errors import RegionewsError
from bot.domain.models import Article, Region, Rule
from storage.articles import ArticleFilter, ArticleRepository
from storage.database import Database

PAGE_SIZE = 10
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 8


class RegionLookup(Protocol):
    def resolve(self, query: str) -> Region | None: ...

    def suggest(self, query: str, limit: int = 3) -> tuple[Region, ...]: ...


class QueryLemmatizer(Protocol):
    def lemmas(self, text: str) -> tuple[str, ...]: ...


class RegionNotFound(RegionewsError):
    """A typed region matched nothing; ``suggestions`` are the closest ones."""

    def __init__(self, query: str, suggestions: tuple[Region, ...]) -> None:
        super().__init__(f"region «{query}» not found")
        self.query = query
        self.suggestions = suggestions


class BadQuery(RegionewsError):
    """A search query that cannot be run (empty, too long, no words)."""


@dataclass(frozen=True, slots=True)
class Page:
    articles: tuple[Article, ...]
    offset: int
    has_more: bool

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.articles)


def rule_filter(rule: Rule) -> ArticleFilter:
    return ArticleFilter(regions=rule.regions, sections=rule.sections, topics=rule.topics)


class NewsReader:
    def __init__(
        self, *, database: Database, regions: RegionLookup, lemmatizer: QueryLemmatizer
    ) -> None:
        self._articles = ArticleRepository(database)
        self._regions = regions
        self._lemmatizer = lemmatizer

    def resolve_region(self, query: str) -> Region:
        """The region a reader typed in any form, or :class:`RegionNotFound` with suggestions."""
        cleaned = " ".join(query.split())[:MAX_QUERY_CHARS]
        region = self._regions.resolve(cleaned)
        if region is None:
            raise RegionNotFound(cleaned, self._regions.suggest(cleaned, 3))
        return region

    async def latest(
        self, rules: tuple[Rule, ...], *, region: str | None = None, offset: int = 0
    ) -> Page:
        """Newest articles for a region if given, else for any of the rules (all if none)."""
        if region is not None:
            filters: list[ArticleFilter] = [ArticleFilter(regions=(region,))]
        else:
            filters = [rule_filter(rule) for rule in rules if not rule.is_any]
            if any(rule.is_any for rule in rules):
                filters = []
        return await self._page(
            lambda limit: self._articles.latest(filters, limit=limit, offset=offset), offset
        )

    def search_expression(self, query: str) -> str:
        """The FTS5 expression for a query: every word's lemma, all required."""
        if len(query) > MAX_QUERY_CHARS:
            raise BadQuery(f"the query is longer than {MAX_QUERY_CHARS} characters")
        lemmas = list(dict.fromkeys(self._lemmatizer.lemmas(query)))[:MAX_QUERY_TERMS]
        if not lemmas:
            raise BadQuery("the query has no words to look for")
        return " ".join('"' + lemma.replace('"', "") + '"' for lemma in lemmas)

    async def search(self, query: str, *, offset: int = 0) -> Page:
        expression = self.search_expression(query)
        return await self._page(
            lambda limit: self._articles.search(expression, limit=limit, offset=offset), offset
        )

    @staticmethod
    async def _page(fetch: _Fetch, offset: int) -> Page:
        found = await fetch(PAGE_SIZE + 1)
        return Page(found[:PAGE_SIZE], offset, has_more=len(found) > PAGE_SIZE)


class _Fetch(Protocol):
    async def __call__(self, limit: int) -> tuple[Article, ...]: ...
