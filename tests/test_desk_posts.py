"""Editors' posts, through the whole bot and the strict fake Telegram: an editor writes a post
with a photo, previews it, schedules it and it goes out at its time to the readers and the
channel it matches (exactly as previewed); an edit reaches every delivered copy; a retraction
deletes them (or, after 48 h, marks them withdrawn); a draft survives a restart; anyone else
is refused every command and button. Plus the pure parts: times typed by editors, and the
editor's HTML re-checked."""

from __future__ import annotations

import weakref
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.config import Settings
from bot.desk.posts import BadTime, parse_when
from bot.domain.clock import ManualClock
from bot.domain.posts import PostFields
from bot.tagging.language import Language
from bot.telegram.post_html import clean_html
from handlers.posts import PostAction, toggle
from storage.audit import recent_audit
from tests.bot_harness import NOW, BotHarness, running_bot
from tests.telegram_stand import Person, StandChat, StandMessage, TelegramStand
from tests.web_stand import WebStand

OWNER_ID = 1001
TITLE = "Экспортёры Приангарья получат субсидии"
TEXT_HTML = (
    '<b>Иркутская область</b> выделит <a href="https://irk.example/subsidy">субсидии</a>'
    " экспортёрам <i>леса</i>."
)
TEXT_PLAIN = "Иркутская область выделит субсидии экспортёрам леса."
STALE = "Эта кнопка устарела. Отправьте команду ещё раз."


@pytest.fixture(name="desk")
def desk_fixture(owned_bot: BotHarness) -> BotHarness:
    """The whole bot with user 1001 as its one owner."""
    return owned_bot


def data(act: str, post: int = 0, value: str = "") -> str:
    return PostAction(act=act, post=post, value=value).pack()


def labels(message: StandMessage) -> list[str]:
    return [text for row in message.button_texts() for text in row]


async def readers(desk: BotHarness) -> tuple[StandChat, StandChat, StandChat]:
    """Anna reads Irkutsk, Lena Lipetsk (private chats); the owner links a channel that takes
    all news."""
    stand = desk.stand
    anna, lena, olga = stand.user(2001, "Анна"), stand.user(2002, "Лена"), owner(desk)
    irkutsk, lipetsk = stand.private_chat(anna), stand.private_chat(lena)
    await desk.send(anna, irkutsk, "/start region-RU-IRK")
    await desk.send(lena, lipetsk, "/start region-RU-LIP")
    channel = stand.channel("Промышленность Приангарья", username="irk_industry")
    [linked] = await desk.send(olga, stand.private_chat(olga), "/channel_add @irk_industry")
    assert "подключён" in (linked.text or "")
    desk.clock.advance(timedelta(minutes=1))  # the post comes after they all subscribed
    return irkutsk, lipetsk, channel


_OWNERS: weakref.WeakKeyDictionary[TelegramStand, Person] = weakref.WeakKeyDictionary()


def owner(desk: BotHarness) -> Person:
    """The owner, Ольга (the same person however often asked, per stand)."""
    if desk.stand not in _OWNERS:
        _OWNERS[desk.stand] = desk.stand.user(OWNER_ID, "Ольга")
    return _OWNERS[desk.stand]


async def write_draft(
    desk: BotHarness, *, photo: bool, urgent: bool = False
) -> tuple[StandMessage, int]:
    """The owner goes through /post up to the preview; (the preview, the post's id)."""
    olga = owner(desk)
    chat = desk.stand.private_chat(olga)
    [ask_title] = await desk.send(olga, chat, "/post")
    assert ask_title.text is not None
    assert "Пришлите заголовок" in ask_title.text
    [ask_text] = await desk.send(olga, chat, TITLE)
    assert ask_text.text is not None
    assert "Теперь текст новости" in ask_text.text
    await olga.send(chat, TEXT_HTML, html=True)
    await desk.settle()
    ask_photo = desk.stand.messages_in(chat)[-1]
    assert "Пришлите фото" in (ask_photo.text or "")
    if photo:
        await olga.send_photo(chat)
        await desk.settle()
    else:
        await desk.press(olga, ask_photo, button="Без фото")
    regions = desk.stand.messages_in(chat)[-1]
    assert regions.text is not None
    assert "Иркутская область" in regions.text  # the tagger's suggestion, from the text
    assert "✅ Иркутская область" in labels(regions)
    await desk.press(olga, regions, button="Готово →")
    sections = desk.stand.messages_in(chat)[-1]
    await desk.press(olga, sections, callback_data=data("sec", value="regional"))
    topics = desk.stand.messages_in(chat)[-1]
    assert "Темы:" in (topics.text or "")
    await desk.press(olga, topics, button="Готово →")
    urgency = desk.stand.messages_in(chat)[-1]
    await desk.press(olga, urgency, button="🔴 Срочно" if urgent else "Обычная")
    preview = desk.stand.messages_in(chat)[-1]
    publish = next(b for b in preview.buttons() if b.get("text") == "✅ Опубликовать сейчас")
    post_id = PostAction.unpack(publish["callback_data"]).post
    return preview, post_id


async def test_an_editor_posts_with_a_photo_previews_schedules_and_it_goes_out_at_its_time(
    desk: BotHarness,
) -> None:
    irkutsk, lipetsk, channel = await readers(desk)
    olga = owner(desk)
    chat = desk.stand.private_chat(olga)
    before = {c.id: len(desk.stand.messages_in(c)) for c in (irkutsk, lipetsk, channel)}

    preview, post_id = await write_draft(desk, photo=True)

    # The preview is the subscribers' card: the photo with the caption, formatting kept.
    assert preview.media is not None
    assert "photo" in preview.media
    assert preview.caption is not None
    assert TITLE in preview.caption
    assert TEXT_PLAIN in preview.caption
    kinds = {entity["type"] for entity in preview.caption_entities}
    assert {"bold", "italic", "text_link"} <= kinds
    links = [e.get("url") for e in preview.caption_entities if e["type"] == "text_link"]
    assert links == ["https://irk.example/subsidy"]

    await desk.press(olga, preview, button="🕒 Запланировать")
    [ask_when] = desk.stand.messages_in(chat)[-1:]
    assert "Europe/Moscow" in (ask_when.text or "")
    [bad] = await desk.send(olga, chat, "вчера")
    assert "Не понял время" in (bad.text or "")
    [scheduled] = await desk.send(olga, chat, "завтра 9:00")
    assert scheduled.text == (
        f"#{post_id} запланирована на 11.06.2024 09:00 (Europe/Moscow). Она есть в /posts;"
        " там же её можно снять с расписания."
    )

    # Not yet: nothing is published and nobody gets anything.
    desk.clock.advance(timedelta(hours=2))
    assert await desk.runtime.posts.publish_due() == 0
    await desk.runtime.sender.run_once()
    assert {c.id: len(desk.stand.messages_in(c)) for c in (irkutsk, lipetsk, channel)} == before

    # Its time (09:00 in Moscow is 06:00 UTC): published once, delivered where it matches.
    desk.clock.set(datetime(2024, 6, 11, 6, 0, 30, tzinfo=UTC))
    assert await desk.runtime.posts.publish_due() == 1
    assert await desk.runtime.posts.publish_due() == 0  # a second look finds nothing to do
    await desk.runtime.sender.run_once()
    [pushed] = desk.stand.messages_in(irkutsk)[before[irkutsk.id] :]
    [posted] = desk.stand.messages_in(channel)[before[channel.id] :]
    assert len(desk.stand.messages_in(lipetsk)) == before[lipetsk.id]
    for copy in (pushed, posted):
        assert copy.media is not None
        assert copy.media["photo"][-1]["file_id"] == preview.media["photo"][-1]["file_id"]
    # The same card; only its date line is the publication's, on each reader's clock.
    assert pushed.caption is not None
    assert pushed.caption.split("\n")[:-1] == preview.caption.split("\n")[:-1]
    assert pushed.caption.endswith("11.06.2024 14:00")  # Anna reads Irkutsk: UTC+8
    assert pushed.caption_entities == preview.caption_entities

    [listing] = await desk.send(olga, chat, "/posts")
    assert listing.text is not None
    assert f"#{post_id} · опубликована 11.06.2024 09:00 · {TITLE}" in listing.text
    assert "доставлено 2 · в очереди 0 · ошибок 0" in listing.text

    audit = await desk.runtime.ingest.database.read(recent_audit)
    actions = [(entry.action, entry.actor_id) for entry in reversed(audit)]
    posts = [item for item in actions if item[0].startswith("post.")]
    assert posts == [("post.draft", OWNER_ID), ("post.schedule", OWNER_ID), ("post.publish", 0)]


async def test_an_edit_reaches_every_delivered_copy_and_a_retraction_deletes_them(
    desk: BotHarness,
) -> None:
    irkutsk, _lipetsk, channel = await readers(desk)
    olga = owner(desk)
    chat = desk.stand.private_chat(olga)
    preview, post_id = await write_draft(desk, photo=False, urgent=True)
    answer = await desk.press(olga, preview, button="✅ Опубликовать сейчас")
    assert answer.text == "Опубликовано."
    assert "Запланировано доставок: 2" in (desk.stand.messages_in(chat)[-1].text or "")
    priorities = await desk.runtime.ingest.database.read(
        lambda c: [row[0] for row in c.execute("SELECT DISTINCT priority FROM deliveries")]
    )
    assert priorities == [0]  # urgent
    await desk.runtime.sender.run_once()
    copies = [desk.stand.messages_in(c)[-1] for c in (irkutsk, channel)]
    assert all(TEXT_PLAIN in (copy.text or "") for copy in copies)
    assert preview.text is not None
    assert (copies[0].text or "").split("\n")[:-1] == preview.text.split("\n")[:-1]

    [listing] = await desk.send(olga, chat, "/posts")
    await desk.press(olga, listing, button=f"✏️ Изменить #{post_id}")
    [ask_text] = await desk.send(olga, chat, "-")  # the title stays
    assert "новый текст" in (ask_text.text or "")
    await olga.send(chat, "Субсидии <b>удвоены</b>.", html=True)
    await desk.settle()
    assert desk.stand.messages_in(chat)[-1].text == (
        f"#{post_id} изменена. Сообщений в чатах и каналах к правке: 2."
    )
    await desk.runtime.sender.run_once()
    for before in copies:
        [after] = [
            m for m in desk.stand.messages_in(before.chat) if m.message_id == before.message_id
        ]
        assert after.edit_date is not None
        assert after.text is not None
        assert TITLE in after.text
        assert "Субсидии удвоены." in after.text
        assert TEXT_PLAIN not in after.text
        assert any(e["type"] == "bold" for e in after.entities)
    assert await desk.runtime.posts.revisions(post_id) == {"done:edited": 2}

    [listing] = await desk.send(olga, chat, "/posts")
    await desk.press(olga, listing, button=f"🗑 Отозвать #{post_id}")
    confirm = desk.stand.messages_in(chat)[-1]
    answer = await desk.press(olga, confirm, button="🗑 Да, отозвать")
    assert answer.text == "Отозвано."
    await desk.runtime.sender.run_once()
    for before in copies:
        ids = {m.message_id for m in desk.stand.messages_in(before.chat)}
        assert before.message_id not in ids  # deleted
    [listing] = await desk.send(olga, chat, "/posts")
    assert f"#{post_id} · отозвана" in (listing.text or "")
    assert "отозвано сообщений: 2" in (listing.text or "")
    audit = await desk.runtime.ingest.database.read(recent_audit)
    assert [e.action for e in audit if e.action.startswith("post.")][:3] == [
        "post.retract",
        "post.edit",
        "post.publish",
    ]


async def test_an_edit_also_corrects_a_copy_that_waited_for_quiet_hours(
    desk: BotHarness,
) -> None:
    """The sender caches cards: a copy held by quiet hours goes out as first rendered, and
    the edit's revision, waiting for it, corrects it once it is sent."""
    irkutsk, _lipetsk, _channel = await readers(desk)
    stand = desk.stand
    vera = stand.user(2004, "Вера")
    night = stand.private_chat(vera)
    await desk.send(vera, night, "/start region-RU-IRK")
    # 14:01 in Irkutsk now: Vera's quiet hours hold her copy until 15:00 (07:00 UTC).
    await desk.runtime.subscriptions.set_quiet_hours(night.id, 0, "13:00", "15:00")
    seen = len(stand.messages_in(night))
    olga = owner(desk)
    preview, post_id = await write_draft(desk, photo=False)
    await desk.press(olga, preview, button="✅ Опубликовать сейчас")
    await desk.runtime.sender.run_once()
    assert TEXT_PLAIN in (stand.messages_in(irkutsk)[-1].text or "")  # rendered and cached
    assert len(stand.messages_in(night)) == seen

    assert (
        await desk.runtime.posts.edit(OWNER_ID, post_id, edited(await post_fields(desk, post_id)))
        == 3
    )
    await desk.runtime.sender.run_once()
    assert "Субсидии удвоены." in (stand.messages_in(irkutsk)[-1].text or "")
    assert len(stand.messages_in(night)) == seen  # still quiet: nothing sent, nothing edited

    desk.clock.set(datetime(2024, 6, 10, 7, 0, 5, tzinfo=UTC))
    await desk.runtime.sender.run_once()
    [held] = stand.messages_in(night)[seen:]
    assert held.text is not None
    assert "Субсидии удвоены." in held.text
    assert TEXT_PLAIN not in held.text
    assert await desk.runtime.posts.revisions(post_id) == {"done:edited": 3}


async def post_fields(desk: BotHarness, post_id: int) -> PostFields:
    post = await desk.runtime.posts.get(post_id)
    assert post is not None
    return post.fields


def edited(fields: PostFields) -> PostFields:
    return replace(fields, body_html="Субсидии <b>удвоены</b>.")


async def test_a_retraction_after_48_hours_marks_the_messages_withdrawn(
    desk: BotHarness,
) -> None:
    irkutsk, _lipetsk, _channel = await readers(desk)
    olga = owner(desk)
    preview, post_id = await write_draft(desk, photo=True)
    await desk.press(olga, preview, button="✅ Опубликовать сейчас")
    await desk.runtime.sender.run_once()
    copy = desk.stand.messages_in(irkutsk)[-1]
    assert copy.caption is not None

    desk.clock.advance(timedelta(hours=49))
    assert await desk.runtime.posts.retract(OWNER_ID, post_id) == 2
    await desk.runtime.sender.run_once()
    [after] = [m for m in desk.stand.messages_in(irkutsk) if m.message_id == copy.message_id]
    assert after.caption == "Новость отозвана редакцией."
    assert await desk.runtime.posts.revisions(post_id) == {"done:marked": 2}


async def test_a_draft_survives_a_restart_of_the_bot(
    telegram_stand: TelegramStand,
    web_stand: WebStand,
    owned_settings: Settings,
    language: Language,
) -> None:
    olga = telegram_stand.user(OWNER_ID, "Ольга")
    chat = telegram_stand.private_chat(olga)
    async with running_bot(telegram_stand, web_stand, owned_settings, language) as desk:
        await desk.send(olga, chat, "/post")
        await desk.send(olga, chat, TITLE)
        await olga.send(chat, TEXT_HTML, html=True)
        await desk.settle()
        before_restart = set(desk.ledger.handled)
    clock = ManualClock(NOW + timedelta(minutes=5))
    async with running_bot(
        telegram_stand, web_stand, owned_settings, language, clock=clock
    ) as desk:
        desk.ledger.handled |= before_restart  # handled by the bot before its restart
        [again] = await desk.send(olga, chat, "без фото")  # a text, not a photo: asked again
        assert "Пришлите фото" in (again.text or "")
        await olga.send_photo(chat)
        await desk.settle()
        regions = desk.stand.messages_in(chat)[-1]
        assert "✅ Иркутская область" in labels(regions)
        await desk.press(olga, regions, button="Готово →")
        await desk.press(
            olga, desk.stand.messages_in(chat)[-1], callback_data=data("sec", value="regional")
        )
        await desk.press(olga, desk.stand.messages_in(chat)[-1], button="Готово →")
        await desk.press(olga, desk.stand.messages_in(chat)[-1], button="Обычная")
        preview = desk.stand.messages_in(chat)[-1]
        assert TITLE in (preview.caption or "")
        assert TEXT_PLAIN in (preview.caption or "")


NON_ADMIN_PRESSES = [
    data("pub", 1),
    data("sch", 1),
    data("edit", 1),
    data("fld", 1, "title"),
    data("cancel", 1),
    data("unsch", 1),
    data("ed", 1),
    data("rt", 1),
    data("rty", 1),
    data("nophoto"),
    data("reg", value="RU-IRK"),
    data("regok"),
    data("sec", value="regional"),
    data("top", value="export"),
    data("topok"),
    data("urg", value="1"),
]


async def test_a_non_admin_is_refused_every_command_and_button(desk: BotHarness) -> None:
    olga = owner(desk)
    preview, post_id = await write_draft(desk, photo=False)
    assert post_id == 1
    ivan = desk.stand.user(3003, "Иван")
    chat = desk.stand.private_chat(ivan)
    for command in ("/post", "/posts", "/cancel"):
        [reply] = await desk.send(ivan, chat, command)
        assert reply.text == (
            f"Неизвестная команда: {command}\nОтправьте /help, чтобы узнать, что я умею."
        )
    [mine] = await desk.send(ivan, chat, "/help")
    for callback in NON_ADMIN_PRESSES:
        desk.forge_button(mine, "x", callback)
        answer = await desk.press(ivan, mine, callback_data=callback)
        assert answer.text == STALE, callback
    # Nothing changed: the owner's draft is a draft, nothing published, nothing audited.
    post = await desk.runtime.posts.get(post_id)
    assert post is not None
    assert post.state == "draft"
    counts = await desk.runtime.ingest.database.read(
        lambda c: c.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
    )
    assert counts == 0
    audit = await desk.runtime.ingest.database.read(recent_audit)
    assert {entry.actor_id for entry in audit} == {OWNER_ID}
    # And the owner's own preview still works.
    answer = await desk.press(olga, preview, button="✖️ Отмена")
    assert answer.text == "Отменено."


# pure -----------------------------------------------------------------------------------------

MOSCOW_NOW = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 19:00 in Moscow


@pytest.mark.parametrize(
    ("typed", "zone", "expected"),
    [
        ("05.12 09:30", "Europe/Moscow", datetime(2026, 12, 5, 6, 30, tzinfo=UTC)),
        ("5.12 9:30", "Europe/Moscow", datetime(2026, 12, 5, 6, 30, tzinfo=UTC)),
        ("05.12.2026 09:30", "Europe/Moscow", datetime(2026, 12, 5, 6, 30, tzinfo=UTC)),
        ("завтра 9:00", "Europe/Moscow", datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
        ("Завтра в 9.00", "Europe/Moscow", datetime(2026, 12, 5, 6, 0, tzinfo=UTC)),
        ("tomorrow 9:00", "Asia/Irkutsk", datetime(2026, 12, 6, 1, 0, tzinfo=UTC)),  # 00:00 there
        ("сегодня 23:15", "Europe/Moscow", datetime(2026, 12, 4, 20, 15, tzinfo=UTC)),
        ("послезавтра 7:00", "Europe/Moscow", datetime(2026, 12, 6, 4, 0, tzinfo=UTC)),
        ("18:45", "Europe/Moscow", datetime(2026, 12, 5, 15, 45, tzinfo=UTC)),  # passed today
        ("20:00", "Europe/Moscow", datetime(2026, 12, 4, 17, 0, tzinfo=UTC)),
        ("01.01 00:00", "Europe/Moscow", datetime(2026, 12, 31, 21, 0, tzinfo=UTC)),
        ("03.12 10:00", "Europe/Moscow", datetime(2027, 12, 3, 7, 0, tzinfo=UTC)),  # next year
        ("05.12 09:30", None, datetime(2026, 12, 5, 6, 30, tzinfo=UTC)),  # Moscow by default
    ],
)
def test_parse_when_reads_what_editors_type(
    typed: str, zone: str | None, expected: datetime
) -> None:
    assert parse_when(typed, now=MOSCOW_NOW, zone=zone) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("вчера 9:00", "format"),
        ("завтра", "format"),
        ("32.12 10:00", "format"),
        ("05.12 25:00", "format"),
        ("31.02 10:00", "format"),
        ("сегодня 10:00", "past"),
        ("04.12.2026 18:59", "past"),
        ("05.12.2028 10:00", "far"),
        ("", "format"),
    ],
)
def test_parse_when_refuses_what_cannot_be_a_time_ahead(typed: str, reason: str) -> None:
    with pytest.raises(BadTime) as caught:
        parse_when(typed, now=MOSCOW_NOW, zone="Europe/Moscow")
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("html", "kept"),
    [
        ("<b>жирный</b> <i>курсив</i>", "<b>жирный</b> <i>курсив</i>"),
        (
            "<strong>a</strong><em>b</em><ins>c</ins><del>d</del>",
            "<b>a</b><i>b</i><u>c</u><s>d</s>",
        ),
        ('<span class="tg-spoiler">x</span>', "<tg-spoiler>x</tg-spoiler>"),
        (
            '<a href="https://irk.example/a?b=1&amp;c=2">ok</a>',
            '<a href="https://irk.example/a?b=1&amp;c=2">ok</a>',
        ),
        ('<a href="javascript:alert(1)">bad</a>', "bad"),
        ('<a href="tg://user?id=1">who</a>', "who"),
        ("<script>alert(1)</script>", "alert(1)"),
        ('<img src="x" onerror="y">text', "text"),
        ("1 &lt; 2 &amp; 3", "1 &lt; 2 &amp; 3"),
        ("<b>unclosed", "<b>unclosed</b>"),
        ("stray</b> end", "stray end"),
        ('<pre><code class="language-python">x = 1</code></pre>', "<pre><code>x = 1</code></pre>"),
        ("<blockquote>q</blockquote>", "<blockquote>q</blockquote>"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
    ],
)
def test_the_editors_html_keeps_only_telegrams_tags_and_web_links(html: str, kept: str) -> None:
    assert clean_html(html) == kept


@pytest.mark.parametrize(
    ("chosen", "value", "after"),
    [
        (["RU-IRK"], "RU-LIP", ["RU-IRK", "RU-LIP"]),  # a known value joins
        (["RU-IRK", "RU-LIP"], "RU-IRK", ["RU-LIP"]),  # a chosen one leaves
        (["RU-IRK"], "RU-XXX", ["RU-IRK"]),  # an unknown (stale, forged) one is ignored
        ([], "RU-IRK", ["RU-IRK"]),
    ],
)
def test_a_press_toggles_a_known_choice(chosen: list[str], value: str, after: list[str]) -> None:
    toggle(chosen, value, {"RU-IRK", "RU-LIP"})
    assert chosen == after
