"""Stories of ingesting: real fetcher, real parser workers, real SQLite, a loopback web stand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app.composition import ingest_runtime
from bot.domain.clock import ManualClock
from bot.ingest.ingestor import SourceStatus
from storage.articles import ArticleFilter, ArticleRepository
from storage.sources import SourceRepository
from tests.conftest import SettingsFactory
from tests.ingest_fixtures import IRKUTSK_RSS, LIPETSK_PAGE, write_sources
from tests.web_stand import WebStand

NOW = datetime(2024, 6, 10, 6, 0, tzinfo=UTC)


async def test_first_pass_stores_tagged_articles_and_second_pass_is_not_modified(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS, etag='"v1"')
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html; charset=utf-8", etag='"p1"')
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    clock = ManualClock(NOW)

    async with ingest_runtime(settings, clock=clock) as runtime:
        first = await runtime.ingestor.run_once(only_due=False)
        by_source = {report.source: report for report in first.sources}
        assert by_source["irkutsk-export"].status is SourceStatus.NEW
        assert by_source["irkutsk-export"].new == 3
        assert by_source["lipetsk-list"].status is SourceStatus.NEW
        assert by_source["lipetsk-list"].new == 2

        new = await runtime.ingestor.articles(first.new_article_ids)
        articles = {a.title: a for a in new}
        forest = articles["Иркутские экспортеры леса вышли на рынок Китая"]
        assert forest.regions == ("RU-IRK",)
        assert "forestry" in forest.topics
        assert forest.url == "https://export38.example/news/1"  # tracking and fragment gone
        assert forest.image_url == "https://export38.example/img/1.jpg"
        assert forest.published_at == datetime(2024, 5, 21, 2, 0, tzinfo=UTC)
        assert "<" not in forest.teaser and "Приангарья" in forest.teaser
        railway = articles[
            "РЖД в 2024 году построят около 1 тыс. км железнодорожных путей на Восточном полигоне"
        ]
        assert set(railway.regions) == {"RU-IRK", "RU-BU"}
        assert "transport-logistics" in railway.topics
        interview = next(a for a in new if a.title.startswith("Интервью"))
        assert interview.section == "regional"  # the source's section wins over the guess
        lipetsk = articles["Липецкие экспортеры представили продукцию на выставке в Казахстане"]
        assert lipetsk.regions == ("RU-LIP",)
        assert lipetsk.url == f"{web_stand.base_url}/news/lip-1/"
        # «21 мая 2024» is naive: read in the region's zone (Moscow, UTC+3).
        assert lipetsk.published_at == datetime(2024, 5, 20, 21, 0, tzinfo=UTC)

        clock.advance(timedelta(minutes=11))
        second = await runtime.ingestor.run_once(only_due=False)
        assert {r.status for r in second.sources} == {SourceStatus.NOT_MODIFIED}
        assert web_stand.last_headers("/irkutsk.rss")["If-None-Match"] == '"v1"'
        assert await ArticleRepository(runtime.database).count() == 5


async def test_same_item_fetched_again_updates_and_never_duplicates(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        await runtime.ingestor.run_once(only_due=False)
        changed = IRKUTSK_RSS.replace(
            "вышли на рынок Китая".encode(), "вышли на рынки Китая и Монголии".encode()
        ).replace(b"<guid>irk-2</guid>", b"<guid>irk-2-renamed</guid>")
        web_stand.add("/irkutsk.rss", changed)
        clock.advance(timedelta(minutes=20))
        report = await runtime.ingestor.run_once(only_due=False)
        irkutsk = next(r for r in report.sources if r.source == "irkutsk-export")
        # A retitled item updates; a changed guid with the same canonical link is the same.
        assert (irkutsk.status, irkutsk.new, irkutsk.updated) == (SourceStatus.UNCHANGED, 0, 1)
        repository = ArticleRepository(runtime.database)
        assert await repository.count() == 5
        titles = [a.title for a in await repository.latest([], limit=20)]
        assert "Иркутские экспортеры леса вышли на рынки Китая и Монголии" in titles
        assert "Иркутские экспортеры леса вышли на рынок Китая" not in titles
        web_stand.add("/irkutsk.rss", IRKUTSK_RSS.replace(b"irk-2<", b"irk-2-again<"))
        clock.advance(timedelta(minutes=20))
        again = await runtime.ingestor.run_once(only_due=False)
        assert next(r for r in again.sources if r.source == "irkutsk-export").new == 0
        assert await repository.count() == 5


async def test_the_same_story_from_two_sources_is_one_story(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    copy = IRKUTSK_RSS.replace(b"export38.example/news", b"copy.example/n").replace(
        b"<guid>irk-", b"<guid>copy-"
    )
    web_stand.add("/copy.rss", copy)
    settings = make_settings()
    write_sources(
        settings.sources_file,
        web_stand,
        extra=f'\n[[source]]\nname = "copycat"\nurl = "{web_stand.url("/copy.rss")}"\n',
    )
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        new = await runtime.ingestor.articles(report.new_article_ids)
        assert len(new) == 8
        stories: dict[str, set[int]] = {a.title: set() for a in new}
        for article in new:
            stories[article.title].add(article.story_id)
        assert all(len(ids) == 1 for ids in stories.values())
        latest = await ArticleRepository(runtime.database).latest([], limit=20)
        assert len(latest) == 5  # one per story


async def test_a_broken_source_fails_alone_with_a_reason_and_is_disabled_after_many(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    web_stand.add("/broken.xml", bytes(range(256)) * 64, content_type="application/octet-stream")
    web_stand.add("/down.xml", b"boom", status=500)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "'
        + b"x" * 100_000
        + b'">]><rss><channel>'
        + b"&a;" * 20_000
        + b"</channel></rss>"
    )
    web_stand.add("/bomb.xml", bomb)
    extra = "".join(
        f'\n[[source]]\nname = "{name}"\nurl = "{web_stand.url(path)}"\n'
        for name, path in (("broken", "/broken.xml"), ("down", "/down.xml"), ("bomb", "/bomb.xml"))
    )
    settings = make_settings(max_consecutive_errors=3)
    write_sources(settings.sources_file, web_stand, extra=extra)
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        by_source = {r.source: r for r in report.sources}
        assert by_source["irkutsk-export"].new == 3
        assert by_source["lipetsk-list"].new == 2
        for name in ("broken", "down", "bomb"):
            assert by_source[name].status is SourceStatus.ERROR
            assert by_source[name].error
        assert "500" in (by_source["down"].error or "")
        assert "entit" in (by_source["bomb"].error or "")

        sources = SourceRepository(runtime.database)
        down = await sources.get("down")
        assert down is not None and down.consecutive_errors == 1
        assert down.next_fetch_at == NOW + timedelta(minutes=15)  # the default interval
        for _ in range(2):
            clock.advance(timedelta(days=1))
            await runtime.ingestor.run_once(only_due=True)
        down = await sources.get("down")
        assert down is not None and down.disabled_reason is not None
        assert "3 failures in a row" in down.disabled_reason
        clock.advance(timedelta(days=1))
        later = await runtime.ingestor.run_once(only_due=True)
        assert "down" not in {r.source for r in later.sources}


async def test_permanent_redirect_updates_the_stored_address_and_cache_headers_are_honoured(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add_redirect("/irkutsk.rss", "/moved.rss", status=301)
    web_stand.add("/moved.rss", IRKUTSK_RSS, headers={"Cache-Control": "max-age=7200"})
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    clock = ManualClock(NOW)
    async with ingest_runtime(settings, clock=clock) as runtime:
        await runtime.ingestor.run_once(only_due=False)
        source = await SourceRepository(runtime.database).get("irkutsk-export")
        assert source is not None
        assert source.url == web_stand.url("/moved.rss")
        assert source.configured_url == web_stand.url("/irkutsk.rss")
        # max-age 2 h beats the 10 min interval and the feed's 30 min <ttl>.
        assert source.next_fetch_at == NOW + timedelta(hours=2)
        clock.advance(timedelta(hours=1))
        due = await runtime.ingestor.run_once(only_due=True)
        assert "irkutsk-export" not in {r.source for r in due.sources}


async def test_windows_1251_feed_without_declaration_comes_out_as_cyrillic(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    text = IRKUTSK_RSS.decode("utf-8").replace('<?xml version="1.0" encoding="utf-8"?>\n', "")
    web_stand.add("/irkutsk.rss", text.encode("cp1251"), content_type="application/rss+xml")
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        titles = {a.title for a in await runtime.ingestor.articles(report.new_article_ids)}
        assert "Иркутские экспортеры леса вышли на рынок Китая" in titles
        irkutsk = await ArticleRepository(runtime.database).latest(
            [ArticleFilter(regions=("RU-IRK",))], limit=10
        )
        assert len(irkutsk) == 3


async def test_dates_missing_or_in_the_future_get_the_fetch_time(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    feed = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>Without a date</title><link>https://x.example/a</link></item>
<item><title>From the future</title><link>https://x.example/b</link>
<pubDate>Fri, 01 Jan 2100 00:00:00 +0000</pubDate></item>
</channel></rss>"""
    web_stand.add("/irkutsk.rss", feed)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        new = await runtime.ingestor.articles(report.new_article_ids)
        dated = {a.title: a.published_at for a in new}
        assert dated["Without a date"] == NOW
        assert dated["From the future"] == NOW


async def test_a_wrong_source_in_the_file_is_reported_and_the_others_still_ingest(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(
        settings.sources_file,
        web_stand,
        extra='\n[[source]]\nname = "nowhere"\nurl = "https://x.example/"\nregion = "RU-XXX"\n',
    )
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        assert [(p.source, p.status) for p in report.problems] == [("nowhere", SourceStatus.ERROR)]
        assert "RU-XXX" in (report.problems[0].error or "")
        assert len(report.new_article_ids) == 5


async def test_a_feed_repeating_an_item_stores_it_once(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    feed = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><guid>same</guid><title>First wording</title><link>https://x.example/a</link></item>
<item><guid>same</guid><title>Second wording</title><link>https://x.example/a</link></item>
<item><title>No guid</title><link>https://x.example/b</link></item>
<item><title>No guid again</title><link>https://x.example/b</link></item>
</channel></rss>"""
    web_stand.add("/irkutsk.rss", feed)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    settings = make_settings()
    write_sources(settings.sources_file, web_stand)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        irkutsk = next(r for r in report.sources if r.source == "irkutsk-export")
        assert (irkutsk.status, irkutsk.new) == (SourceStatus.NEW, 2)
        stored = await runtime.ingestor.articles(irkutsk.new_article_ids)
        assert sorted(a.title for a in stored) == ["No guid again", "Second wording"]


async def test_naive_feed_dates_are_read_in_the_source_regions_zone(
    web_stand: WebStand, make_settings: SettingsFactory
) -> None:
    feed = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><title>Без часового пояса</title><link>https://x.example/a</link>
<pubDate>Tue, 21 May 2024 10:00:00</pubDate></item>
<item><title>С часовым поясом</title><link>https://x.example/b</link>
<pubDate>Tue, 21 May 2024 10:00:00 +0300</pubDate></item>
</channel></rss>""".encode()
    web_stand.add("/irkutsk.rss", IRKUTSK_RSS)
    web_stand.add("/lipetsk/", LIPETSK_PAGE, content_type="text/html")
    web_stand.add("/naive.rss", feed)
    settings = make_settings()
    extra = (
        f'\n[[source]]\nname = "naive"\nurl = "{web_stand.url("/naive.rss")}"\nregion = "RU-IRK"\n'
    )
    write_sources(settings.sources_file, web_stand, extra=extra)
    async with ingest_runtime(settings, clock=ManualClock(NOW)) as runtime:
        report = await runtime.ingestor.run_once(only_due=False)
        naive = next(r for r in report.sources if r.source == "naive")
        dated = {
            a.title: a.published_at for a in await runtime.ingestor.articles(naive.new_article_ids)
        }
        # Irkutsk is UTC+8: 10:00 there is 02:00 UTC; the dated item keeps its own +03:00.
        assert dated["Без часового пояса"] == datetime(2024, 5, 21, 2, 0, tzinfo=UTC)
        assert dated["С часовым поясом"] == datetime(2024, 5, 21, 7, 0, tzinfo=UTC)
