"""Inline keyboards. Pure functions of the state they show: no I/O, easy to test.

Button texts are stable so a test (or a reader) can find them: a chosen item is «✅ name»,
an unchosen one just «name».
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.models import DeliveryMode, Region, Rule, Section, Subscription, Topic
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
from handlers.i18n import name_of
from handlers.options import (
    DIGEST_TIMES,
    LANGUAGE_LABELS,
    MODE_LABELS,
    QUIET_HOURS,
    QUIET_OFF,
    TIME_ZONES,
    WEEKDAYS_SHORT,
    pack_quiet,
    pack_time,
)
from handlers.render import Names, district_label

CHECK = "✅ "


def _mark(label: str, chosen: bool) -> str:
    return CHECK + label if chosen else label


@dataclass(frozen=True, slots=True)
class RegionPages:
    """Page 0: regions with news (pinned ones first); then one page per federal district."""

    with_news: tuple[Region, ...]
    districts: tuple[tuple[str, tuple[Region, ...]], ...]

    @property
    def count(self) -> int:
        return 1 + len(self.districts)

    def regions(self, page: int) -> tuple[Region, ...]:
        return self.with_news if page == 0 else self.districts[page - 1][1]

    def title(self, page: int) -> str:
        return _("Regions with news") if page == 0 else district_label(self.districts[page - 1][0])


def _done_label(part: Part, flow: Flow) -> str:
    if flow is Flow.ONBOARDING or (flow is Flow.ADD and part is not Part.TOPICS):
        return _("Next ➡️")
    return _("Done")


def _clear_label(part: Part) -> str:
    return {
        Part.REGIONS: _("Any region"),
        Part.SECTIONS: _("Any section"),
        Part.TOPICS: _("Any topic"),
    }[part]


def _chosen(rule: Rule | None, part: Part) -> tuple[str, ...]:
    if rule is None:
        return ()
    return {Part.REGIONS: rule.regions, Part.SECTIONS: rule.sections, Part.TOPICS: rule.topics}[
        part
    ]


def choice_keyboard(
    part: Part,
    items: Sequence[Region | Section | Topic],
    rule: Rule | None,
    *,
    flow: Flow,
    page: int = 0,
    pages: RegionPages | None = None,
) -> InlineKeyboardMarkup:
    """Toggles for ``items``, then (regions) page navigation, «Any …» and «Next»/«Done»."""
    chosen = set(_chosen(rule, part))
    rule_id = rule.id if rule is not None else 0
    builder = InlineKeyboardBuilder()
    for item in items:
        value = item.code if isinstance(item, Region) else item.slug
        builder.button(
            text=_mark(name_of(item), value in chosen),
            callback_data=Toggle(
                part=part,
                value=value,
                selected=value not in chosen,
                page=page,
                flow=flow,
                rule=rule_id,
            ),
        )
    builder.adjust(2 if part is Part.REGIONS else 1)
    if pages is not None:
        if page == 0:
            districts = InlineKeyboardBuilder()
            for index, (district, _regions) in enumerate(pages.districts, 1):
                districts.button(
                    text=district_label(district),
                    callback_data=ChoicePage(part=part, page=index, flow=flow),
                )
            districts.adjust(2)
            builder.attach(districts)
        else:
            navigation = [
                InlineKeyboardButton(
                    text=_("◀️ Back"),
                    callback_data=ChoicePage(part=part, page=page - 1, flow=flow).pack(),
                )
            ]
            if page + 1 < pages.count:
                navigation.append(
                    InlineKeyboardButton(
                        text=_("More ▶️"),
                        callback_data=ChoicePage(part=part, page=page + 1, flow=flow).pack(),
                    )
                )
            builder.row(*navigation)
    builder.row(
        InlineKeyboardButton(
            text=_mark(_clear_label(part), not chosen),
            callback_data=ClearPart(part=part, page=page, flow=flow, rule=rule_id).pack(),
        )
    )
    builder.row(
        InlineKeyboardButton(
            text=_done_label(part, flow), callback_data=StepDone(part=part, flow=flow).pack()
        )
    )
    return builder.as_markup()


def wizard_mode_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for mode in DeliveryMode:
        builder.button(text=_(MODE_LABELS[mode]), callback_data=WizardMode(mode=mode))
    builder.adjust(1)
    return builder.as_markup()


def rules_keyboard(subscription: Subscription) -> InlineKeyboardMarkup:
    """/my: ✏️ and ❌ for each rule by its number, ➕ to add one, ⚙️ to the settings."""
    builder = InlineKeyboardBuilder()
    for index, rule in enumerate(subscription.rules, 1):
        builder.row(
            InlineKeyboardButton(
                text=_("✏️ Edit {number}").format(number=index),
                callback_data=RuleAction(verb="ed", target=rule.id).pack(),
            ),
            InlineKeyboardButton(
                text=_("❌ Remove {number}").format(number=index),
                callback_data=RuleAction(verb="rm", target=rule.id).pack(),
            ),
        )
    builder.row(
        InlineKeyboardButton(
            text=_("➕ Add a rule"),
            callback_data=RuleAction(verb="add", target=len(subscription.rules)).pack(),
        )
    )
    builder.row(
        InlineKeyboardButton(
            text=_("⚙️ Settings"), callback_data=Setting(key=SettingKey.MENU, value="").pack()
        )
    )
    return builder.as_markup()


SETTINGS_MENU = (
    ("mode", "📬 "),
    ("time", "🕘 "),
    ("day", "📅 "),
    ("tz", "🌍 "),
    ("quiet", "🌙 "),
    ("lang", "🗣 "),
)
SETTINGS_MENUS = frozenset(menu for menu, _icon in SETTINGS_MENU)


def settings_keyboard() -> InlineKeyboardMarkup:
    labels = {
        "mode": _("Delivery mode"),
        "time": _("Digest time"),
        "day": _("Weekly digest day"),
        "tz": _("Time zone"),
        "quiet": _("Quiet hours"),
        "lang": _("Language"),
    }
    builder = InlineKeyboardBuilder()
    for menu, icon in SETTINGS_MENU:
        builder.button(
            text=icon + labels[menu], callback_data=Setting(key=SettingKey.MENU, value=menu)
        )
    builder.adjust(2)
    return builder.as_markup()


def _back(builder: InlineKeyboardBuilder) -> InlineKeyboardMarkup:
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Back"), callback_data=Setting(key=SettingKey.MENU, value="").pack()
        )
    )
    return builder.as_markup()


def settings_submenu(menu: str, subscription: Subscription, language: str) -> InlineKeyboardMarkup:
    """The options of one setting, the current one ✅; ``menu`` is one of SETTINGS_MENU."""
    builder = InlineKeyboardBuilder()
    if menu == "mode":
        for mode in DeliveryMode:
            builder.button(
                text=_mark(_(MODE_LABELS[mode]), subscription.mode is mode),
                callback_data=Setting(key=SettingKey.MODE, value=mode.value),
            )
        builder.adjust(1)
    elif menu == "time":
        for time in DIGEST_TIMES:
            builder.button(
                text=_mark(time, subscription.digest_time == time),
                callback_data=Setting(key=SettingKey.TIME, value=pack_time(time)),
            )
        builder.adjust(4)
    elif menu == "day":
        for weekday, label in enumerate(WEEKDAYS_SHORT):
            builder.button(
                text=_mark(_(label), subscription.digest_weekday == weekday),
                callback_data=Setting(key=SettingKey.DAY, value=str(weekday)),
            )
        builder.adjust(4)
    elif menu == "tz":
        for preset in TIME_ZONES:
            builder.button(
                text=_mark(
                    f"{_(preset.city)} {preset.offset_label}", subscription.timezone == preset.zone
                ),
                callback_data=Setting(key=SettingKey.ZONE, value=preset.zone),
            )
        builder.adjust(2)
    elif menu == "quiet":
        for start, end in QUIET_HOURS:
            builder.button(
                text=_mark(
                    f"{start}–{end}",
                    (subscription.quiet_start, subscription.quiet_end) == (start, end),
                ),
                callback_data=Setting(key=SettingKey.QUIET, value=pack_quiet(start, end)),
            )
        builder.button(
            text=_mark(_("Off"), subscription.quiet_start is None),
            callback_data=Setting(key=SettingKey.QUIET, value=QUIET_OFF),
        )
        builder.adjust(2)
    elif menu == "lang":
        return _back(_language_builder(language))
    return _back(builder)


def _language_builder(language: str) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    for code, label in LANGUAGE_LABELS.items():
        builder.button(text=_mark(label, code == language), callback_data=Language(code=code))
    builder.adjust(2)
    return builder


def language_keyboard(language: str) -> InlineKeyboardMarkup:
    return _language_builder(language).as_markup()


def stop_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, unsubscribe"), callback_data=StopConfirm(confirm=True))
    builder.button(text=_("Cancel"), callback_data=StopConfirm(confirm=False))
    builder.adjust(2)
    return builder.as_markup()


def more_latest_keyboard(offset: int, region: str | None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬇️ More"), callback_data=LatestPage(offset=offset, region=region or ""))
    return builder.as_markup()


def more_search_keyboard(offset: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬇️ More"), callback_data=SearchPage(offset=offset))
    return builder.as_markup()


def suggestions_keyboard(regions: Sequence[Region]) -> InlineKeyboardMarkup | None:
    """Closest regions to a typo: each opens /latest for that region."""
    if not regions:
        return None
    builder = InlineKeyboardBuilder()
    for region in regions:
        builder.button(
            text=name_of(region), callback_data=LatestPage(offset=0, region=region.code)
        )
    builder.adjust(1)
    return builder.as_markup()


def items_of(
    part: Part, names: Names, pages: RegionPages | None, page: int
) -> tuple[Region | Section | Topic, ...]:
    """The items a choice keyboard shows on ``page``."""
    if part is Part.REGIONS:
        return pages.regions(page) if pages is not None else ()
    if part is Part.SECTIONS:
        return tuple(names.sections.values())
    return tuple(names.topics.values())
