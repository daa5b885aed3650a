"""The desk's sources, as admins and strangers use them: the whole bot polling the strict fake
Bot API, real feeds on the loopback web stand, a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from bot.desk.opml import read_opml
from bot.desk.sources import Proposal
from bot.domain.models import SourceOrigin, SourceState
from bot.tagging.language import Language
from handlers.source_views import (
    AddConfirm,
    AddKind,
    AddNoRegion,
    AddSection,
    SourceAction,
    SourcesPage,
)
from storage.audit import AuditEntry, recent_audit
from storage.source_desk import overview
from tests.bot_harness import OWNER_ID, BotHarness, running_bot
from tests.conftest import SettingsFactory
from tests.ingest_fixtures import IRKUTSK_RSS
from tests.telegram_stand import Person, StandChat, StandMessage, TelegramStand
from tests.web_stand import WebStand

STRANGER_ID = 2002
NEW_FEED = "/new-feed.rss"
IRKUTSK_TITLE = "Иркутские экспортеры леса вышли на рынок Китая"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><body><outline text="&lol3;" xmlUrl="https://a.example/rss"/></body></opml>
"""


@pytest.fixture(name="desk")
def desk_fixture(owned_bot: BotHarness) -> BotHarness:
    """The bot with its one owner (``owned_bot`` in tests/conftest.py)."""
    return owned_bot


def _people(desk: BotHarness) -> tuple[Person, StandChat, Person, StandChat]:
    owner = desk.stand.user(OWNER_ID, "Olga", language_code="en")
    stranger = desk.stand.user(STRANGER_ID, "Stas", language_code="en")
    return owner, desk.stand.private_chat(owner), stranger, desk.stand.private_chat(stranger)


def _db_rows(desk: BotHarness, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(desk.runtime.ingest.database.path) as connection:
        return [tuple(row) for row in connection.execute(sql)]


async def _source(desk: BotHarness, name: str) -> SourceState:
    found = await desk.runtime.ingest.database.read(
        lambda connection: overview(connection, since=desk.clock())
    )
    [item] = [item for item in found if item.source.name == name]
    return item.source


async def _add_bot_source(desk: BotHarness, name: str = "new-feed") -> SourceState:
    desk.web.add(NEW_FEED, IRKUTSK_RSS)
    return await desk.runtime.source_desk.add(
        Proposal(url=desk.web.url(NEW_FEED), name=name, region="RU-IRK", section="regional"),
        actor_id=OWNER_ID,
    )


async def test_an_owner_adds_a_feed_after_seeing_what_it_would_give(desk: BotHarness) -> None:
    owner, chat, *_ = _people(desk)
    desk.web.add(NEW_FEED, IRKUTSK_RSS)
    url = desk.web.url(NEW_FEED)

    [kind_question] = await desk.send(owner, chat, f"/source_add {url} export38")
    assert kind_question.text is not None and "export38" in kind_question.text
    await desk.press(owner, kind_question, callback_data=AddKind(kind="rss").pack())
    [region_question] = desk.stand.messages_in(chat)[-1:]
    assert region_question.text is not None and "RU-IRK" in region_question.text

    [unknown] = await desk.send(owner, chat, "Atlantis")
    assert (
        unknown.text == "I know no region «Atlantis»: send a code such as RU-IRK or its full name."
    )
    [section_question] = await desk.send(owner, chat, "Irkutsk Oblast")
    assert section_question.text == "Its section:"
    assert desk.web.hits(NEW_FEED) == 0  # nothing fetched before the dialogue is done

    await desk.press(owner, section_question, callback_data=AddSection(slug="regional").pack())
    checking, preview = desk.stand.messages_in(chat)[-2:]
    assert checking.text == "Fetching it once to show what it would give…"
    assert preview.text is not None
    assert preview.text.startswith("export38: items it would ingest now: 3.")
    assert f"• {IRKUTSK_TITLE}" in preview.text
    assert "Regions found: Irkutsk Oblast" in preview.text
    assert desk.web.hits(NEW_FEED) == 1
    assert _db_rows(desk, "SELECT count(*) FROM sources WHERE name = 'export38'") == [(0,)]

    await desk.press(owner, preview, callback_data=AddConfirm(save=True).pack())
    [saved] = desk.stand.messages_in(chat)[-1:]
    assert saved.text == (
        "Saved «export38». Its first fetch is within a minute; /sources shows its state."
    )
    source = await _source(desk, "export38")
    assert (source.origin, source.region, source.section, source.url) == (
        SourceOrigin.BOT,
        "RU-IRK",
        "regional",
        url,
    )
    [entry] = [e for e in await _audit(desk) if e.action == "source.add"]
    assert (entry.actor_id, entry.before, entry.after["name"]) == (OWNER_ID, None, "export38")

    # the next pass reads it like any other source
    report = await desk.runtime.ingest.ingestor.run_once(only_due=False)
    [mine] = [r for r in report.sources if r.source == "export38"]
    assert mine.new == 3


async def _audit(desk: BotHarness) -> list[AuditEntry]:
    return await desk.runtime.ingest.database.read(recent_audit)


async def test_a_page_source_asks_for_selectors_and_a_failed_test_fetch_saves_nothing(
    desk: BotHarness,
) -> None:
    owner, chat, *_ = _people(desk)
    url = desk.web.url("/missing/")  # the web stand answers 404

    [kind_question] = await desk.send(owner, chat, f"/source_add {url}")
    await desk.press(owner, kind_question, callback_data=AddKind(kind="html").pack())
    [wrong] = await desk.send(owner, chat, "item .news")
    assert wrong.text is not None and wrong.text.startswith("Each line must be «key: selector»")
    [region_question] = await desk.send(owner, chat, "item: div.news-item\ntitle: a.title")
    await desk.press(owner, region_question, callback_data=AddNoRegion().pack())
    [section_question] = desk.stand.messages_in(chat)[-1:]
    await desk.press(owner, section_question, callback_data=AddSection(slug="").pack())

    [failed] = desk.stand.messages_in(chat)[-1:]
    assert failed.text is not None
    assert failed.text.startswith("The test fetch failed: ")
    assert "404" in failed.text
    assert failed.text.endswith("Nothing was saved; send /source_add again when fixed.")
    assert _db_rows(desk, "SELECT count(*) FROM sources WHERE origin = 'bot'") == [(0,)]
    # the dialogue is over: a stray text gets the usual hint, not the dialogue
    [hint] = await desk.send(owner, chat, "RU-IRK")
    assert hint.text is not None and "commands" in hint.text


@pytest.mark.parametrize(
    ("arguments", "answer"),
    [
        ("", "Write it like: /source_add https://example.ru/rss.xml [name]"),
        ("ftp://example.ru/feed", "This address cannot be used: "),
        ("{irkutsk} other-name", "This address is read already, as «irkutsk-export»."),
        (
            "https://elsewhere.example/rss IRKUTSK-export",
            "A source named «irkutsk-export» exists already",
        ),
    ],
)
async def test_a_wrong_source_add_answers_in_one_line(
    desk: BotHarness, arguments: str, answer: str
) -> None:
    owner, chat, *_ = _people(desk)
    arguments = arguments.format(irkutsk=desk.web.url("/irkutsk.rss"))

    [reply] = await desk.send(owner, chat, f"/source_add {arguments}".strip())

    assert reply.text is not None and reply.text.startswith(answer)
    assert "\n" not in reply.text
    assert _db_rows(desk, "SELECT count(*) FROM sources WHERE origin = 'bot'") == [(0,)]


async def test_pause_fetch_now_resume_and_remove_from_the_list(desk: BotHarness) -> None:
    owner, chat, *_ = _people(desk)
    source = await _add_bot_source(desk)
    pause = SourceAction(action="pause", source=source.id, page=0).pack()

    [listing] = await desk.send(owner, chat, "/sources")
    assert listing.text is not None
    assert listing.text.startswith("Sources: 4 · page 1 of 1")
    assert "4. new-feed" in listing.text
    assert "RSS · RU-IRK · regional · added in the bot" in listing.text
    assert "Not fetched yet" in listing.text

    answer = await desk.press(owner, listing, callback_data=pause)
    assert answer.text == "Paused «new-feed»."
    paused = await _source(desk, "new-feed")
    assert paused.paused and paused.paused_by == OWNER_ID and paused.enabled
    [listing] = desk.stand.messages_in(chat)[-1:]
    assert listing.text is not None
    assert "⏸ Paused by an admin (id 1001) since 2024-06-10 06:00 UTC." in listing.text
    assert "Disabled by errors" not in listing.text
    report = await desk.runtime.ingest.ingestor.run_once(only_due=False)
    assert "new-feed" not in {r.source for r in report.sources}  # a pass skips it

    fetch = SourceAction(action="fetch", source=source.id, page=0).pack()
    answer = await desk.press(owner, listing, callback_data=fetch)
    assert answer.text == "Fetching «new-feed»…"
    result = [m for m in desk.stand.messages_in(chat) if m.text and "fetched" in m.text]
    assert [m.text for m in result] == ["new-feed: fetched; new items: 3, updated: 0."]
    [listing] = [m for m in desk.stand.messages_in(chat) if m.message_id == listing.message_id]
    assert listing.text is not None and "New items in 24 h: 3." in listing.text

    resume = SourceAction(action="resume", source=source.id, page=0).pack()
    answer = await desk.press(owner, listing, callback_data=resume)
    assert answer.text == "Resumed «new-feed»: it is fetched at the next pass."
    assert not (await _source(desk, "new-feed")).paused

    remove = SourceAction(action="remove", source=source.id, page=0).pack()
    answer = await desk.press(owner, listing, callback_data=remove)
    [question] = [m for m in desk.stand.messages_in(chat) if m.message_id == listing.message_id]
    assert question.text == (
        "Remove the source new-feed?\nIt is no longer fetched; the articles already stored stay."
    )
    confirm = SourceAction(action="remove_yes", source=source.id, page=0).pack()
    answer = await desk.press(owner, question, callback_data=confirm)
    assert answer.text == "Removed «new-feed»; its articles stay."
    assert _db_rows(desk, "SELECT count(*) FROM sources WHERE name = 'new-feed'") == [(0,)]
    assert _db_rows(desk, "SELECT count(*) FROM articles WHERE source_id IS NULL") == [(3,)]
    actions = [e.action for e in await _audit(desk)]
    assert actions == [
        "source.remove",
        "source.resume",
        "source.fetch_now",
        "source.pause",
        "source.add",
    ]


async def test_paused_by_an_admin_and_disabled_by_errors_are_told_apart(
    desk: BotHarness,
) -> None:
    owner, chat, *_ = _people(desk)
    desk.web.add("/irkutsk.rss", b"gone", status=410)
    source = await _source(desk, "irkutsk-export")
    [listing] = await desk.send(owner, chat, "/sources")

    fetch = SourceAction(action="fetch", source=source.id, page=0).pack()
    await desk.press(owner, listing, callback_data=fetch)
    [result] = [m for m in desk.stand.messages_in(chat) if m.text and "fetch failed" in m.text]
    assert result.text is not None
    assert result.text.startswith("irkutsk-export: the fetch failed: ")
    assert "\n⛔ Disabled by errors: the site says the source is gone for good" in result.text
    [listing] = [m for m in desk.stand.messages_in(chat) if m.message_id == listing.message_id]
    assert listing.text is not None
    assert "⛔ Disabled by errors: the site says the source is gone for good" in listing.text
    assert "Paused" not in listing.text
    assert ["▶️ Resume 2", "🔄 Fetch 2"] in listing.button_texts()  # not removable: in file

    resume = SourceAction(action="resume", source=source.id, page=0).pack()
    await desk.press(owner, listing, callback_data=resume)
    assert (await _source(desk, "irkutsk-export")).enabled
    pause = SourceAction(action="pause", source=source.id, page=0).pack()
    await desk.press(owner, listing, callback_data=pause)
    [listing] = [m for m in desk.stand.messages_in(chat) if m.message_id == listing.message_id]
    assert listing.text is not None
    assert "⏸ Paused by an admin" in listing.text and "Disabled" not in listing.text

    await desk.press(owner, listing, callback_data=fetch)  # fetched while paused: gone again
    both = await _source(desk, "irkutsk-export")
    assert both.paused and not both.enabled
    [listing] = [m for m in desk.stand.messages_in(chat) if m.message_id == listing.message_id]
    assert listing.text is not None
    assert "⏸ Paused by an admin" in listing.text and "⛔ Disabled by errors" in listing.text

    desk.web.add("/irkutsk.rss", IRKUTSK_RSS)
    await desk.press(owner, listing, callback_data=resume)
    again = await _source(desk, "irkutsk-export")
    assert not again.paused and again.enabled and again.consecutive_errors == 0


async def test_a_file_source_cannot_be_removed_from_the_bot(desk: BotHarness) -> None:
    owner, chat, *_ = _people(desk)
    source = await _source(desk, "irkutsk-export")
    [listing] = await desk.send(owner, chat, "/sources")
    confirm = SourceAction(action="remove_yes", source=source.id, page=0).pack()
    desk.forge_button(listing, "forged", confirm)  # an old keyboard, a modified client

    answer = await desk.press(owner, listing, callback_data=confirm)

    assert answer.text == (
        "This source comes from the sources file: delete it there (or pause it here)."
    )
    assert _db_rows(desk, "SELECT count(*) FROM sources WHERE name = 'irkutsk-export'") == [(1,)]


def _opml(*outlines: str) -> bytes:
    body = "".join(outlines)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><opml version="2.0"><head><title>t</title>'
        f"</head><body><outline text='Region feeds'>{body}</outline></body></opml>"
    ).encode()


async def test_an_opml_import_reports_what_it_added_and_skipped(desk: BotHarness) -> None:
    owner, chat, *_ = _people(desk)
    irkutsk = desk.web.url("/irkutsk.rss")
    document = _opml(
        f'<outline type="rss" text="Fresh" xmlUrl="{desk.web.url(NEW_FEED)}" region="RU-IRK"/>',
        '<outline type="rss" text="No address"/>',
        '<outline type="rss" text="Bad region" xmlUrl="https://b.example/rss" region="RU-XX"/>',
        f'<outline type="rss" text="Twin" xmlUrl="{irkutsk}"/>',
        '<outline type="rss" text="Not http" xmlUrl="ftp://c.example/rss"/>',
    )

    await owner.send_document(chat, "feeds.opml", document)
    await desk.settle()

    [report] = desk.stand.messages_in(chat)[-1:]
    assert report.text is not None
    lines = report.text.split("\n")
    assert lines[0] == "OPML import: 1 added, 4 skipped."
    assert lines[1] == "Added: Fresh"
    assert lines[2] == "• No address: no feed address (xmlUrl)"
    assert lines[3].startswith("• Bad region: not valid: region «RU-XX»")
    assert lines[4] == "• Twin: read already, as «irkutsk-export»"
    assert lines[5].startswith("• Not http: not valid: url «ftp://c.example/rss»")
    fresh = await _source(desk, "Fresh")
    assert (fresh.origin, fresh.region) == (SourceOrigin.BOT, "RU-IRK")
    assert [e.action for e in await _audit(desk)] == ["source.add"]


@pytest.mark.parametrize(
    ("content", "answer"),
    [
        (
            BILLION_LAUGHS,
            "This file declares a DTD (entities), which I do not read: nothing was imported.",
        ),
        (
            b"<opml><body><outline xmlUrl='https://a.example/rss'></body>",
            "This is not an OPML file I can read (broken XML?): nothing was imported.",
        ),
        (
            b"<html><body>hello</body></html>",
            "This is not an OPML file I can read (broken XML?): nothing was imported.",
        ),
        (
            b"<opml>" + b" " * (600 * 1024) + b"</opml>",
            "The file is too big: an .opml file of up to 512 KB is read.",
        ),
    ],
    ids=["billion-laughs", "broken", "not-opml", "too-big"],
)
async def test_a_hostile_or_broken_opml_file_gets_one_line(
    desk: BotHarness, content: bytes, answer: str
) -> None:
    owner, chat, *_ = _people(desk)

    await owner.send_document(chat, "feeds.opml", content)
    await desk.settle()

    [reply] = desk.stand.messages_in(chat)[-1:]
    assert reply.text == answer
    assert _db_rows(desk, "SELECT count(*) FROM sources WHERE origin = 'bot'") == [(0,)]


async def test_export_gives_an_opml_file_that_imports_back(desk: BotHarness) -> None:
    owner, chat, *_ = _people(desk)
    added = await _add_bot_source(desk, "new-feed")

    [exported] = await desk.send(owner, chat, "/export")
    assert exported.caption == "Sources: 4. Send this file back to import it."
    content = desk.stand.file_content(exported)
    entries = {entry.name: entry for entry in read_opml(content)}
    assert set(entries) == {"extra", "irkutsk-export", "lipetsk-list", "new-feed"}
    lipetsk = entries["lipetsk-list"]
    assert (lipetsk.kind, lipetsk.region) == ("html", "RU-LIP")
    assert lipetsk.selectors is not None and lipetsk.selectors["item"] == "div.news-item"

    # removed, then the exported file brings it back as it was; the others are there already
    await desk.runtime.source_desk.remove(added.id, actor_id=OWNER_ID)
    await owner.send_document(chat, "regionews-sources.opml", content)
    await desk.settle()
    [report] = desk.stand.messages_in(chat)[-1:]
    assert report.text is not None
    assert report.text.startswith("OPML import: 1 added, 3 skipped.\nAdded: new-feed")
    back = await _source(desk, "new-feed")
    assert (back.url, back.region, back.section, back.kind, back.interval_seconds) == (
        added.url,
        added.region,
        added.section,
        added.kind,
        added.interval_seconds,
    )


def _buttons(source_id: int) -> list[str]:
    return [
        SourcesPage(page=1).pack(),
        *(
            SourceAction(action=action, source=source_id, page=0).pack()
            for action in ("pause", "resume", "fetch", "remove", "remove_yes")
        ),
        AddKind(kind="rss").pack(),
        AddNoRegion().pack(),
        AddSection(slug="regional").pack(),
        AddConfirm(save=True).pack(),
        AddConfirm(save=False).pack(),
    ]


async def test_a_stranger_gets_nowhere_with_any_command_button_or_file(
    desk: BotHarness,
) -> None:
    _owner, _chat, stranger, chat = _people(desk)
    source = await _add_bot_source(desk)
    before = _db_rows(desk, "SELECT * FROM sources ORDER BY id")
    desk.web.add("/other.rss", IRKUTSK_RSS)

    for command in (
        "/sources",
        f"/source_add {desk.web.url('/other.rss')} mine",
        "/export",
        "/cancel",
    ):
        [reply] = await desk.send(stranger, chat, command)
        assert reply.text is not None
        assert reply.text.startswith("Unknown command: "), command
    await stranger.send_document(
        chat,
        "feeds.opml",
        _opml(f'<outline type="rss" text="Mine" xmlUrl="{desk.web.url("/other.rss")}"/>'),
    )
    await desk.settle()
    [hint] = desk.stand.messages_in(chat)[-1:]
    assert hint.text is not None and hint.text.startswith("I understand commands.")
    assert not desk.stand.calls("getFile")
    assert not desk.stand.calls("sendDocument")

    [message] = await desk.send(stranger, chat, "/sources")
    for data in _buttons(source.id):
        desk.forge_button(message, data, data)
        answer = await desk.press(stranger, message, callback_data=data)
        assert answer.text == "This button is out of date. Send the command again.", data
        _assert_untouched(message, desk.stand.messages_in(chat)[-1])

    assert _db_rows(desk, "SELECT * FROM sources ORDER BY id") == before
    assert desk.web.hits("/other.rss") == 0
    assert [e.action for e in await _audit(desk)] == ["source.add"]


def _assert_untouched(first: StandMessage, last: StandMessage) -> None:
    assert last.message_id == first.message_id  # nothing new was sent to the stranger


async def test_the_list_and_the_dialogue_speak_russian(desk: BotHarness) -> None:
    olga = desk.stand.user(OWNER_ID, "Ольга")  # language_code="ru"
    chat = desk.stand.private_chat(olga)

    [listing] = await desk.send(olga, chat, "/sources")
    [question] = await desk.send(olga, chat, f"/source_add {desk.web.url(NEW_FEED)}")

    assert listing.text is not None
    assert listing.text.startswith("Источники: 3 · страница 1 из 1")
    assert "RSS · без региона · regional · из файла источников\n✅ Работает." in listing.text
    assert question.button_texts() == [
        ["Лента RSS / Atom / JSON"],
        ["Страница новостей (CSS-селекторы)"],
        ["✖️ Отмена"],
    ]


async def test_an_unfinished_dialogue_survives_a_restart(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    make_settings: SettingsFactory,
    language: Language,
) -> None:
    settings = make_settings(
        bot_token=telegram_stand.token,
        telegram_api_url=telegram_stand.base_url,
        admin_ids=str(OWNER_ID),
    )
    web_stand.add(NEW_FEED, IRKUTSK_RSS)
    async with running_bot(telegram_stand, web_stand, settings, language) as first:
        owner, chat, *_ = _people(first)
        [question] = await first.send(owner, chat, f"/source_add {web_stand.url(NEW_FEED)} x")
        await first.press(owner, question, callback_data=AddKind(kind="rss").pack())

    async with running_bot(telegram_stand, web_stand, settings, language) as second:
        second.ledger.handled |= first.ledger.handled  # the first run's updates, done there
        [section_question] = await second.send(owner, chat, "RU-IRK")
        assert section_question.text == "Its section:"
        await second.press(owner, section_question, callback_data=AddSection(slug="").pack())
        [preview] = second.stand.messages_in(chat)[-1:]
        await second.press(owner, preview, callback_data=AddConfirm(save=True).pack())
        added = await _source(second, "x")
        assert (added.region, added.section) == ("RU-IRK", None)


async def test_a_file_telegram_fails_to_give_gets_one_line(desk: BotHarness) -> None:
    owner, chat, *_ = _people(desk)
    desk.stand.fail_next("getFile", error_code=400, description="Bad Request: file is too big")

    await owner.send_document(chat, "feeds.opml", _opml())
    await desk.settle()

    [reply] = desk.stand.messages_in(chat)[-1:]
    assert reply.text == "I could not download the file from Telegram; send it again."
