"""Callback data: every payload round-trips, fits 64 bytes with the longest values, and
anything tampered with fails to parse (so the press lands in «this button is out of date»)."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.domain.models import DeliveryMode
from handlers.callbacks import (
    ChoicePage,
    ClearPart,
    Flow,
    Language,
    LatestPage,
    Part,
    RuleAction,
    SearchPage,
    Setting,
    SettingKey,
    StepDone,
    StopConfirm,
    Toggle,
    WizardMode,
)

LONGEST_SLUG = "a" * 32  # sections declared in the sources file are at most 32 characters
LONGEST_REGION = "RU-" + "X" * 6
BIGGEST_RULE = 9_999_999_999

LONGEST: list[CallbackData] = [
    Toggle(
        part=Part.SECTIONS,
        value=LONGEST_SLUG,
        selected=True,
        page=99,
        flow=Flow.ONBOARDING,
        rule=BIGGEST_RULE,
    ),
    Toggle(part=Part.REGIONS, value="RU-IRK", selected=False, page=0, flow=Flow.EDIT, rule=1),
    ChoicePage(part=Part.REGIONS, page=99, flow=Flow.ADD),
    ClearPart(part=Part.TOPICS, page=99, flow=Flow.ONBOARDING, rule=BIGGEST_RULE),
    StepDone(part=Part.TOPICS, flow=Flow.ADD),
    WizardMode(mode=DeliveryMode.WEEKLY),
    RuleAction(verb="add", target=BIGGEST_RULE),
    RuleAction(verb="rm", target=BIGGEST_RULE),
    Setting(key=SettingKey.ZONE, value="America/Argentina/ComodRivadavia"),
    Setting(key=SettingKey.QUIET, value="2300-0800"),
    Setting(key=SettingKey.MENU, value=""),
    Language(code="en"),
    StopConfirm(confirm=True),
    LatestPage(offset=100_000, region=LONGEST_REGION),
    LatestPage(offset=0, region=""),
    SearchPage(offset=100_000),
]


@pytest.mark.parametrize("data", LONGEST, ids=lambda data: type(data).__name__)
def test_callback_data_round_trips_within_64_bytes(data: CallbackData) -> None:
    packed = data.pack()
    assert 1 <= len(packed.encode()) <= 64
    assert type(data).unpack(packed) == data


def test_prefixes_are_short_and_distinct() -> None:
    classes = {type(data) for data in LONGEST}
    prefixes = [cls.__prefix__ for cls in classes]
    assert len(set(prefixes)) == len(prefixes)
    assert all(len(prefix) <= 3 for prefix in prefixes)


def test_a_toggle_carries_the_state_it_asks_for() -> None:
    data = Toggle(part=Part.REGIONS, value="RU-IRK", selected=True, page=0, flow=Flow.EDIT, rule=5)
    assert data.pack() == "tg:r:RU-IRK:1:0:e:5"


@pytest.mark.parametrize(
    ("cls", "raw"),
    [
        (Toggle, "tg:r:RU-IRK:1:0:e"),  # a field missing
        (Toggle, "tg:r:RU-IRK:1:0:e:5:9"),  # a field too many
        (Toggle, "xx:r:RU-IRK:1:0:e:5"),  # wrong prefix
        (Toggle, "tg:q:RU-IRK:1:0:e:5"),  # no such part
        (Toggle, "tg:r:RU IRK:1:0:e:5"),  # not a code
        (Toggle, "tg:r::1:0:e:5"),  # empty value
        (Toggle, "tg:r:RU-IRK:1:-1:e:5"),  # negative page
        (Toggle, "tg:r:RU-IRK:1:0:z:5"),  # no such flow
        (Toggle, "tg:r:" + "a" * 33 + ":1:0:e:5"),  # too long a slug
        (ChoicePage, "pg:r:100:e"),  # page out of range
        (WizardMode, "wm:hourly"),
        (RuleAction, "rl:drop:1"),
        (RuleAction, "rl:rm:abc"),
        (Setting, "st:colour:red"),
        (Setting, "st:tz:Europe/Moscow;DROP"),
        (Language, "lg:de"),
        (LatestPage, "lt:0:Иркутск"),
        (LatestPage, "lt:-10:RU-IRK"),
        (SearchPage, "sm:many"),
        (SearchPage, "junk"),
    ],
)
def test_tampered_data_does_not_parse(cls: type[CallbackData], raw: str) -> None:
    with pytest.raises((TypeError, ValueError)):
        cls.unpack(raw)
