"""The card a subscriber or a channel sees for one article: read back through the stand's
HTML parser (Telegram's rules), within Telegram's limits, whatever the title holds, and
sent for real through the aiogram Bot to the strict fake Bot API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from aiogram.types import LinkPreviewOptions

from bot.app.composition import load_reference
from bot.domain.models import Article, Region, Section, Topic
from bot.telegram.cards import MAX_CAPTION_CHARS, Card, hashtag, render_card
from tests.telegram_stand import TelegramStand
from tests.telegram_stand.html_rules import FormattedText, parse_html, utf16_len


@dataclass(frozen=True)
class Names:
    regions: Mapping[str, Region]
    sections: Mapping[str, Section]
    topics: Mapping[str, Topic]


REFERENCE = load_reference()
NAMES = Names(
    {region.code: region for region in REFERENCE.regions},
    {section.slug: section for section in REFERENCE.sections},
    {topic.slug: topic for topic in REFERENCE.topics},
)
URL = "https://irk.example/news/bam-2030"
ARTICLE = Article(
    id=1,
    source_id=1,
    story_id=1,
    identity_key="bam",
    title="РЖД заявили, что протяженность путей БАМа к 2030 году увеличится на 3,5 тыс. км",
    url=URL,
    teaser="Строительство вторых путей идёт на участках от Тайшета до Усть-Кута.",
    text="",
    image_url=None,
    published_at=datetime(2026, 3, 17, 1, 5, tzinfo=UTC),  # 09:05 in Irkutsk
    fetched_at=datetime(2026, 3, 17, 1, 6, tzinfo=UTC),
    section="regional",
    regions=("RU-IRK",),
)


def card_of(article: Article = ARTICLE, **options: object) -> Card:
    arguments: dict[str, object] = {
        "language": "ru",
        "zone": "Asia/Irkutsk",
        "source_name": "Иркутские новости",
        "signature": None,
    }
    arguments.update(options)
    return render_card(article, NAMES, **arguments)  # type: ignore[arg-type]


def types_of(parsed: FormattedText) -> list[str]:
    return [entity["type"] for entity in parsed.entities]


def test_a_card_shows_the_title_as_a_bold_link_tags_teaser_source_and_local_date() -> None:
    card = card_of()
    parsed = parse_html(card.html)
    assert parsed.text.split("\n") == [
        ARTICLE.title,
        "#Иркутская_область #Региональные_новости",
        "",
        ARTICLE.teaser,
        "",
        "Иркутские новости · 17.03.2026 09:05",
    ]
    bold, link, italic = parsed.entities
    assert (bold["type"], bold["offset"], bold["length"]) == ("bold", 0, utf16_len(ARTICLE.title))
    assert (link["type"], link["url"], link["length"]) == ("text_link", URL, bold["length"])
    assert italic["type"] == "italic"
    assert (card.photo_url, card.caption_html, card.preview_url) == (None, None, URL)


def test_an_english_card_in_moscow_time_with_a_signature() -> None:
    card = card_of(language="en", zone="Europe/Moscow", signature="  @irk_industry  ")
    lines = parse_html(card.html).text.split("\n")
    assert lines[1] == "#Irkutsk_Oblast #Regional_news"
    assert lines[-2:] == ["Иркутские новости · 17.03.2026 04:05", "@irk_industry"]


def test_a_card_outside_any_update_and_without_a_title_says_untitled() -> None:
    card = card_of(replace(ARTICLE, title="   ", url=None), source_name=None)
    parsed = parse_html(card.html)
    assert parsed.text.startswith("(без заголовка)\n")
    assert types_of(parsed) == ["bold", "italic"]
    assert parsed.text.endswith("\n17.03.2026 09:05")
    assert card.preview_url is None


def test_an_article_with_an_image_is_a_photo_with_the_card_as_its_caption() -> None:
    image = "https://irk.example/img/bam.jpg"
    card = card_of(replace(ARTICLE, image_url=image))
    assert card.photo_url == image
    assert card.preview_url is None
    assert card.caption_html == card.html
    assert parse_html(card.caption_html).text.startswith(ARTICLE.title)


def test_a_long_teaser_is_shortened_to_fit_the_caption_and_kept_longer_in_text() -> None:
    teaser = "Слово " * 800  # 4,800 characters
    card = card_of(replace(ARTICLE, teaser=teaser, image_url="https://irk.example/a.jpg"))
    assert card.caption_html is not None
    caption = parse_html(card.caption_html)
    text = parse_html(card.html)
    assert utf16_len(caption.text) <= MAX_CAPTION_CHARS
    assert 4096 >= utf16_len(text.text) > 2 * utf16_len(caption.text)
    assert "…" in caption.text


def test_a_card_too_big_for_a_caption_is_text_with_a_preview() -> None:
    longest = sorted(REFERENCE.regions, key=lambda region: -len(region.name))[:10]
    article = replace(
        ARTICLE,
        title="Очень длинный заголовок " * 20,
        teaser="Слово " * 100,
        regions=tuple(region.code for region in longest),
        image_url="https://irk.example/a.jpg",
    )
    card = card_of(article, signature="Подпись канала " * 20, source_name="Источник " * 20)
    assert (card.photo_url, card.caption_html, card.preview_url) == (None, None, URL)
    parsed = parse_html(card.html)
    tags = parsed.text.split("\n")[1].split(" ")
    assert len(tags) == 6  # the first five regions by name, then the section
    assert tags[-1] == "#Региональные_новости"


@pytest.mark.parametrize("image", ["ftp://irk.example/a.jpg", "data:image/png;base64,AAAA", ""])
def test_an_image_telegram_cannot_fetch_is_not_sent(image: str) -> None:
    card = card_of(replace(ARTICLE, image_url=image))
    assert card.photo_url is None
    assert card.preview_url == URL


HOSTILE = [
    "<b>Жирный</b> & <i>курсив</i>",
    "</a></b><script>alert(1)</script>",
    "Кавычки \" и ' и &amp; &lt;",
    "Эмодзи 🚂🚃 и сурrogates 𝔘",
    '<a href="https://evil.example">клик</a>',
    "&#0; &#xD800; &nbsp; &",
    "Строка\nс переводом\tи табом",
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_and_teasers_are_shown_as_they_were_written(title: str) -> None:
    article = replace(ARTICLE, title=title, teaser=title, url=URL + '?q="<x>"&a=1')
    card = card_of(article, source_name=title, signature=title)
    parsed = parse_html(card.html)  # raises as Telegram would on broken markup
    shown = " ".join(title.split())
    lines = parsed.text.split("\n")
    assert lines[0] == shown
    assert lines[3] == shown
    assert lines[-1] == shown
    assert types_of(parsed) == ["bold", "text_link", "italic"]
    assert parsed.entities[1]["url"] == URL + '?q="<x>"&a=1'


@pytest.mark.parametrize("url", ["javascript:alert(1)", "irk.example/a b", "tg://resolve"])
def test_a_link_that_is_not_a_web_address_is_not_a_link(url: str) -> None:
    card = card_of(replace(ARTICLE, url=url))
    assert types_of(parse_html(card.html)) == ["bold", "italic"]
    assert card.preview_url is None


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("Иркутская область", "#Иркутская_область"),
        ("Ханты-Мансийский автономный округ — Югра", "#Ханты_Мансийский_автономный_округ_Югра"),
        ("Республика Саха (Якутия)", "#Республика_Саха_Якутия"),
        ("Khanty-Mansi Autonomous Okrug – Yugra", "#Khanty_Mansi_Autonomous_Okrug_Yugra"),
        ("Лучшие практики ВЭД", "#Лучшие_практики_ВЭД"),
        ("Кемеровская область — Кузбасс", "#Кемеровская_область_Кузбасс"),
        (" — ", ""),
    ],
)
def test_names_become_hashtags(name: str, tag: str) -> None:
    assert hashtag(name) == tag


def test_every_region_and_section_name_is_a_hashtag_in_both_languages() -> None:
    names = [r.name for r in REFERENCE.regions] + [r.name_en for r in REFERENCE.regions]
    names += [s.name for s in REFERENCE.sections] + [s.name_en for s in REFERENCE.sections]
    for name in names:
        tag = hashtag(name)
        assert tag.startswith("#")
        assert all(char.isalnum() or char == "_" for char in tag[1:]), tag
        assert "__" not in tag
        assert not tag.endswith("_")


async def test_cards_are_accepted_by_the_strict_bot_api(telegram_stand: TelegramStand) -> None:
    bot = telegram_stand.make_bot()
    chat = telegram_stand.channel("Промышленность Приангарья", username="irk_industry")
    try:
        for title in HOSTILE[:3]:
            text = card_of(replace(ARTICLE, title=title), signature="@irk_industry")
            await bot.send_message(
                chat.id,
                text.html,
                link_preview_options=LinkPreviewOptions(url=text.preview_url),
            )
        photo = card_of(replace(ARTICLE, image_url="https://irk.example/a.jpg"))
        assert photo.photo_url is not None
        await bot.send_photo(chat.id, photo.photo_url, caption=photo.caption_html)
    finally:
        await bot.session.close()
    sent = await telegram_stand.wait_for_messages(chat, count=4)
    assert [message.text.split("\n")[0] for message in sent[:3] if message.text] == [
        " ".join(title.split()) for title in HOSTILE[:3]
    ]
    assert sent[3].media is not None
    assert sent[3].caption is not None
    assert sent[3].caption.startswith(ARTICLE.title)
    assert sent[0].link_preview_options == {"url": URL}
