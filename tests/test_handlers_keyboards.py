"""Keyboards are well formed (Telegram's limits), show the state they act on, and the command
menus fit setMyCommands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiogram.types import (
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardMarkup,
)
from aiogram.utils.i18n import I18n

from bot.domain.models import DeliveryMode, Region, Rule, Section, Subscription, Topic
from bot.telegram.i18n import LOCALES_PATH, build_i18n
from handlers import CommandMenu, bot_commands, build_routers
from handlers.callbacks import MAX_RULE_ID, ClearPart, Flow, Part, Toggle
from handlers.keyboards import (
    SETTINGS_MENU,
    RegionPages,
    choice_keyboard,
    language_keyboard,
    rules_keyboard,
    settings_keyboard,
    settings_submenu,
    stop_keyboard,
    suggestions_keyboard,
    wizard_mode_keyboard,
)


def region(code: str, name: str, district: str) -> Region:
    return Region(code, name, name + " (en)", "область", district, "Europe/Moscow", "—")


IRKUTSK = region("RU-IRK", "Иркутская область", "Сибирский")
LIPETSK = region("RU-LIP", "Липецкая область", "Центральный")
CENTRAL = tuple(
    region(f"RU-C{index:02d}", f"Область №{index}", "Центральный") for index in range(18)
)
PAGES = RegionPages(
    with_news=(IRKUTSK, LIPETSK),
    districts=(("Центральный", (LIPETSK, *CENTRAL)), ("Сибирский", (IRKUTSK,))),
)
SECTIONS = (
    Section("regional", "Региональные новости", "Regional news"),
    Section("practice", "Лучшие практики ВЭД", "Best export practices"),
)
TOPICS = (Topic("agro", "АПК", "Agriculture"),)


@pytest.fixture(autouse=True)
def russian() -> Iterator[I18n]:
    i18n = build_i18n(LOCALES_PATH)
    with i18n.context(), i18n.use_locale("ru"):
        yield i18n


def check(markup: InlineKeyboardMarkup | None) -> list[str]:
    """Telegram's rules for an inline keyboard; returns the button texts."""
    assert markup is not None
    texts = []
    buttons = [button for row in markup.inline_keyboard for button in row]
    assert 0 < len(buttons) <= 100
    for button in buttons:
        assert button.text.strip()
        assert button.callback_data is not None
        assert 1 <= len(button.callback_data.encode()) <= 64
        texts.append(button.text)
    return texts


def subscription(rules: tuple[Rule, ...] = (Rule(7, regions=("RU-IRK",)),)) -> Subscription:
    return Subscription(
        id=1,
        chat_id=1,
        thread_id=0,
        mode=DeliveryMode.DAILY,
        digest_time="09:00",
        digest_weekday=2,
        timezone="Asia/Irkutsk",
        quiet_start=None,
        quiet_end=None,
        paused=False,
        current_rule_id=rules[0].id if rules else None,
        since=datetime(2024, 5, 1, tzinfo=UTC),
        rules=rules,
    )


def test_the_first_region_page_marks_choices_and_offers_districts() -> None:
    rule = Rule(7, regions=("RU-IRK",))
    markup = choice_keyboard(
        Part.REGIONS, PAGES.regions(0), rule, flow=Flow.ONBOARDING, pages=PAGES
    )
    texts = check(markup)
    assert texts == [
        "✅ Иркутская область",
        "Липецкая область",
        "Центральный ФО",
        "Сибирский ФО",
        "Любой регион",
        "Далее ➡️",
    ]
    toggles = [
        Toggle.unpack(button.callback_data or "")
        for row in markup.inline_keyboard
        for button in row
        if (button.callback_data or "").startswith("tg:")
    ]
    assert [(t.value, t.selected, t.rule) for t in toggles] == [
        ("RU-IRK", False, 7),
        ("RU-LIP", True, 7),
    ]


@pytest.mark.parametrize("rule_id", [0, 1, 7, 12_345, MAX_RULE_ID])
@pytest.mark.parametrize("flow", list(Flow))
def test_buttons_made_for_a_rule_carry_exactly_the_packed_callback_data(
    rule_id: int, flow: Flow
) -> None:
    """Toggles and «Any …» are copied from a template made for rule 0 with the rule written
    in: the data must be what packing gives, for any rule, flow and choice state."""
    for chosen in ((), ("RU-IRK",)):
        markup = choice_keyboard(
            Part.REGIONS, PAGES.regions(0), Rule(rule_id, regions=chosen), flow=flow, pages=PAGES
        )
        datas = [button.callback_data or "" for row in markup.inline_keyboard for button in row]
        expected_toggles = [
            Toggle(
                part=Part.REGIONS,
                value=region.code,
                selected=region.code not in chosen,
                page=0,
                flow=flow,
                rule=rule_id,
            ).pack()
            for region in PAGES.regions(0)
        ]
        assert [data for data in datas if data.startswith("tg:")] == expected_toggles
        clear = ClearPart(part=Part.REGIONS, page=0, flow=flow, rule=rule_id).pack()
        assert [data for data in datas if data.startswith("any:")] == [clear]


def test_a_rule_id_too_long_for_callback_data_is_refused() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        choice_keyboard(Part.TOPICS, TOPICS, Rule(MAX_RULE_ID + 1), flow=Flow.EDIT)


def test_a_district_page_has_navigation_and_stays_within_limits() -> None:
    texts = check(
        choice_keyboard(
            Part.REGIONS, PAGES.regions(1), Rule(1), flow=Flow.EDIT, page=1, pages=PAGES
        )
    )
    assert "◀️ Назад" in texts and "Ещё ▶️" in texts
    assert texts[-2:] == ["✅ Любой регион", "Готово"]
    last = check(
        choice_keyboard(Part.REGIONS, PAGES.regions(2), None, flow=Flow.EDIT, page=2, pages=PAGES)
    )
    assert "Ещё ▶️" not in last


@pytest.mark.parametrize(
    ("part", "flow", "done"),
    [
        (Part.SECTIONS, Flow.ONBOARDING, "Далее ➡️"),
        (Part.TOPICS, Flow.ONBOARDING, "Далее ➡️"),
        (Part.SECTIONS, Flow.ADD, "Далее ➡️"),
        (Part.TOPICS, Flow.ADD, "Готово"),
        (Part.TOPICS, Flow.EDIT, "Готово"),
    ],
)
def test_sections_and_topics_end_with_next_or_done(part: Part, flow: Flow, done: str) -> None:
    items = SECTIONS if part is Part.SECTIONS else TOPICS
    texts = check(choice_keyboard(part, items, Rule(1, sections=("practice",)), flow=flow))
    assert texts[-1] == done
    if part is Part.SECTIONS:
        assert "✅ Лучшие практики ВЭД" in texts and "Любой раздел" in texts


def test_the_other_keyboards_are_well_formed() -> None:
    sub = subscription((Rule(7, regions=("RU-IRK",)), Rule(8)))
    assert check(rules_keyboard(sub)) == [
        "✏️ Изменить 1",
        "❌ Удалить 1",
        "✏️ Изменить 2",
        "❌ Удалить 2",
        "➕ Добавить правило",
        "⚙️ Настройки",
    ]
    assert check(wizard_mode_keyboard()) == ["Сразу", "Раз в день", "Раз в неделю"]
    assert check(stop_keyboard()) == ["Да, отписаться", "Отмена"]
    assert check(language_keyboard("ru")) == ["✅ Русский", "English"]
    assert check(suggestions_keyboard((IRKUTSK,))) == ["Иркутская область"]
    assert suggestions_keyboard(()) is None
    check(settings_keyboard())
    for menu, _icon in SETTINGS_MENU:
        texts = check(settings_submenu(menu, sub, "ru"))
        assert texts[-1] == "⬅️ Назад"
    zones = check(settings_submenu("tz", sub, "ru"))
    assert zones[0] == "Калининград UTC+2" and zones[-2] == "Камчатка UTC+12"
    assert "✅ Иркутск UTC+8" in zones
    assert "✅ Раз в день" in check(settings_submenu("mode", sub, "ru"))
    assert "✅ Ср" in check(settings_submenu("day", sub, "ru"))
    assert "✅ Выключить" in check(settings_submenu("quiet", sub, "ru"))


def test_command_menus_fit_set_my_commands() -> None:
    menus = bot_commands(LOCALES_PATH)
    assert {(type(key.scope), key.language_code) for key in menus} == {
        (scope, language)
        for scope in (BotCommandScopeAllPrivateChats, BotCommandScopeAllGroupChats)
        for language in (None, "ru", "en")
    }
    for key, commands in menus.items():
        assert commands
        for command in commands:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", command.command)
            assert 1 <= len(command.description) <= 256
        same_in_russian = menus[key._replace(language_code="ru")]
        if key.language_code is None:
            assert commands == same_in_russian
    private = menus[CommandMenu(BotCommandScopeAllPrivateChats(), "en")]
    group = menus[CommandMenu(BotCommandScopeAllGroupChats(), "en")]
    assert len(group) < len(private)
    assert [c.command for c in private] == [
        "start",
        "latest",
        "search",
        "my",
        "regions",
        "sections",
        "topics",
        "settings",
        "pause",
        "resume",
        "stop",
        "lang",
        "help",
    ]
    russian = menus[CommandMenu(BotCommandScopeAllPrivateChats(), "ru")]
    assert russian[0].description != private[0].description


def test_routers_can_be_built_for_more_than_one_dispatcher() -> None:
    first, second = build_routers(), build_routers()
    assert [router.name for router in first] == [router.name for router in second]
    assert first[-1].name == "handlers.fallback"
    assert all(a is not b for a, b in zip(first, second, strict=True))
