"""The whole way of a story, through the running bot: a reader subscribes, a source
publishes, the ingest stores the article and plans its deliveries in one transaction, and the
sender pushes it through the strict fake Telegram."""

from __future__ import annotations

from datetime import timedelta

from tests.bot_harness import BAM, BotHarness, harness_fixture  # noqa: F401  (fixture)


async def test_a_reader_of_irkutsk_gets_the_next_irkutsk_article_pushed_and_only_that(
    harness: BotHarness,
) -> None:
    stand = harness.stand
    anna = stand.user(1001, "Анна")
    irkutsk = stand.private_chat(anna)
    lena = stand.user(1002, "Лена")
    lipetsk = stand.private_chat(lena)
    # Every source's first fetch: days of old articles stored, nobody pushed.
    first = await harness.seed_articles()
    assert first.planned_deliveries == 0

    await harness.send(anna, irkutsk, "/start region-RU-IRK")
    await harness.send(lena, lipetsk, "/start region-RU-LIP")
    await harness.runtime.sender.run_once()
    seen = {chat.id: len(stand.messages_in(chat)) for chat in (irkutsk, lipetsk)}

    harness.clock.advance(timedelta(minutes=30))
    report = await harness.seed_articles([BAM])
    assert report.planned_deliveries == 1
    await harness.runtime.sender.run_once()
    [push] = stand.messages_in(irkutsk)[seen[irkutsk.id] :]
    assert BAM.title in (push.body or "")
    assert len(stand.messages_in(lipetsk)) == seen[lipetsk.id]

    # The next pass finds nothing new, and the sender has nothing left to send.
    harness.clock.advance(timedelta(minutes=30))
    assert (await harness.seed_articles([BAM])).planned_deliveries == 0
    await harness.runtime.sender.run_once()
    assert len(stand.messages_in(irkutsk)) == seen[irkutsk.id] + 1
