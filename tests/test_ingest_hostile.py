"""Stories of hostile but harmless servers: what they send must not cost a source its news.

A real ingest pass (real SQLite file, real fetcher and parser workers) against the loopback
web stand, with MAX_CONSECUTIVE_ERRORS=2 so that a wrong failure would disable a source.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.composition import ingest_runtime
from bot.domain.clock import ManualClock
from bot.ingest.ingestor import SourceStatus
from storage.articles import ArticleRepository
from storage.sources import SourceRepository
from tests.conftest import SettingsFactory
from tests.ingest_fixtures import IRKUTSK_RSS
from tests.web_stand import WebStand

NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)
HOSTILE_HEADERS = {
    "max-age-20-digits": {"Cache-Control": "max-age=" + "9" * 20},
    "max-age-unicode-digit": {"Cache-Control": "max-age=²"},
    "retry-after-unicode-digit": {"Retry-After": "²"},
    "expires-past-year-9999": {"Expires": "Fri, 31 Dec 9999 23:59:59 -1400"},
}


def _sources(web_stand: WebStand, names: list[str]) -> str:
    return "".join(
        f'[[source]]\nname = "{name}"\nurl = "{web_stand.url("/" + name + ".rss")}"\n'
        f'interval = "10m"\n\n'
        for name in names
    )


async def test_caching_headers_we_cannot_use_keep_the_news_and_the_source(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    for name, headers in HOSTILE_HEADERS.items():
        web_stand.add(f"/{name}.rss", IRKUTSK_RSS, headers=headers)
    settings = make_settings(max_consecutive_errors=2)
    settings.sources_file.write_text(_sources(web_stand, list(HOSTILE_HEADERS)), "utf-8")
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        for _ in range(2):
            report = await runtime.ingestor.run_once(only_due=False)
            assert {r.source: r.error for r in report.sources} == dict.fromkeys(HOSTILE_HEADERS)
            clock.advance(timedelta(days=1))
        assert await ArticleRepository(runtime.database).count() == 3 * len(HOSTILE_HEADERS)
        sources = SourceRepository(runtime.database)
        for name in HOSTILE_HEADERS:
            source = await sources.get(name)
            assert source is not None
            assert (source.consecutive_errors, source.disabled_reason) == (0, None)


async def test_a_redirect_to_an_impossible_host_name_is_a_refused_address(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add_redirect("/long.rss", f"http://{'a' * 64}.example/rss", status=302)
    settings = make_settings()
    settings.sources_file.write_text(_sources(web_stand, ["long"]), "utf-8")
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
    (result,) = report.sources
    assert result.status is SourceStatus.ERROR
    assert result.error is not None
    assert "longer than 63 characters" in result.error
    assert "internal error" not in result.error


async def test_a_ten_megabyte_title_is_stored_capped(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    huge = "Завод " * 850_000  # 9.4 MB, under the 10 MB body cap
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Лента</title>'
        f"<item><title>{huge}</title><guid>{'g' * 100_000}</guid>"
        "<link>https://export38.example/news/77</link></item></channel></rss>"
    )
    web_stand.add("/huge.rss", feed)
    settings = make_settings()
    settings.sources_file.write_text(_sources(web_stand, ["huge"]), "utf-8")
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        (result,) = report.sources
        assert result.status is SourceStatus.NEW
        (article,) = await runtime.ingestor.articles(result.new_article_ids)
    assert len(article.title) <= 500
    assert article.title.endswith("…")
    assert settings.database_path.stat().st_size < 2 * 1024 * 1024
