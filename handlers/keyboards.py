"""Inline keyboards. Pure functions of the state they show: no I/O, easy to test.

Button texts are stable so a test (or a reader) can find them: a chosen item is «✅ name»,
an unchosen one just «name».
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.domain.models import DeliveryMode, Region, Rule, Section, Subscription, Topic
from bot.telegram.articles import Names
from bot.telegram.i18n import name_of
from handlers.callbacks import (
    MAX_RULE_ID,
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
from handlers.render import district_label

CHECK = "✅ "
BUTTON_CACHE_SIZE = 4096


def _mark(label: str, chosen: bool) -> str:
    return CHECK + label if chosen else label


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


# The choice keyboards are rebuilt on every press, and a button (a validated pydantic model
# with packed callback data) costs ~30 µs to make. Buttons are immutable, so the same one is
# reused: these pure functions of their (label, data) are memoised.
#
# Toggles and «Any …» also name the rule they edit, so a new reader's first keyboard would
# miss the cache on every button (~0.5 ms for the regions step). The rule is the last field
# of their callback data: each button is made once with rule 0 and copied with the reader's
# rule written in its place (~4 µs).


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _toggle_button(
    text: str, part: Part, value: str, *, selected: bool, page: int, flow: Flow, rule: int
) -> InlineKeyboardButton:
    template = _toggle_template(text, part, value, selected=selected, page=page, flow=flow)
    return _for_rule(template, rule, Toggle.__separator__)


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _toggle_template(
    text: str, part: Part, value: str, *, selected: bool, page: int, flow: Flow
) -> InlineKeyboardButton:
    data = Toggle(part=part, value=value, selected=selected, page=page, flow=flow, rule=0)
    return _button(text, data)


def _for_rule(template: InlineKeyboardButton, rule: int, separator: str) -> InlineKeyboardButton:
    """``template``, whose callback data ends with rule 0, as the button for ``rule``: the
    same as packing the data with ``rule`` (whose bounds are checked here)."""
    if not 0 <= rule <= MAX_RULE_ID:
        raise ValueError(f"rule id {rule} does not fit in callback data")
    data = template.callback_data or ""
    head = data[: data.rindex(separator) + 1]
    return template.model_copy(update={"callback_data": f"{head}{rule}"})


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _page_button(text: str, part: Part, page: int, flow: Flow) -> InlineKeyboardButton:
    return _button(text, ChoicePage(part=part, page=page, flow=flow))


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _clear_button(text: str, part: Part, page: int, flow: Flow, rule: int) -> InlineKeyboardButton:
    return _for_rule(_clear_template(text, part, page, flow), rule, ClearPart.__separator__)


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _clear_template(text: str, part: Part, page: int, flow: Flow) -> InlineKeyboardButton:
    return _button(text, ClearPart(part=part, page=page, flow=flow, rule=0))


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _done_button(text: str, part: Part, flow: Flow) -> InlineKeyboardButton:
    return _button(text, StepDone(part=part, flow=flow))


class _Grid:
    """Rows of buttons, built as plain lists.

    aiogram's ``InlineKeyboardBuilder`` deep-copies the whole keyboard on every ``add`` and
    ``as_markup``; on the region keyboard that was a fifth of the bot's CPU per update.
    """

    def __init__(self) -> None:
        self._rows: list[list[InlineKeyboardButton]] = []

    def buttons(self, buttons: Sequence[InlineKeyboardButton], width: int) -> None:
        """Add ``buttons`` in rows of ``width``."""
        for start in range(0, len(buttons), width):
            self._rows.append(list(buttons[start : start + width]))

    def row(self, *buttons: InlineKeyboardButton) -> None:
        self._rows.append(list(buttons))

    def markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=self._rows)


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
    # Only the one shown is translated: this runs on every press of a choice keyboard.
    if part is Part.REGIONS:
        return _("Any region")
    if part is Part.SECTIONS:
        return _("Any section")
    return _("Any topic")


def _chosen(rule: Rule | None, part: Part) -> tuple[str, ...]:
    if rule is None:
        return ()
    if part is Part.REGIONS:
        return rule.regions
    if part is Part.SECTIONS:
        return rule.sections
    return rule.topics


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
    builder = _Grid()
    toggles = []
    for item in items:
        value = item.code if isinstance(item, Region) else item.slug
        toggles.append(
            _toggle_button(
                _mark(name_of(item), value in chosen),
                part,
                value,
                selected=value not in chosen,
                page=page,
                flow=flow,
                rule=rule_id,
            )
        )
    builder.buttons(toggles, 2 if part is Part.REGIONS else 1)
    if pages is not None:
        if page == 0:
            builder.buttons(
                [
                    _page_button(district_label(district), part, index, flow)
                    for index, (district, _regions) in enumerate(pages.districts, 1)
                ],
                2,
            )
        else:
            navigation = [_page_button(_("◀️ Back"), part, page - 1, flow)]
            if page + 1 < pages.count:
                navigation.append(_page_button(_("More ▶️"), part, page + 1, flow))
            builder.row(*navigation)
    builder.row(_clear_button(_mark(_clear_label(part), not chosen), part, page, flow, rule_id))
    builder.row(_done_button(_done_label(part, flow), part, flow))
    return builder.markup()


def wizard_mode_keyboard() -> InlineKeyboardMarkup:
    builder = _Grid()
    builder.buttons(
        [_button(_(MODE_LABELS[mode]), WizardMode(mode=mode)) for mode in DeliveryMode], 1
    )
    return builder.markup()


def rules_keyboard(subscription: Subscription) -> InlineKeyboardMarkup:
    """/my: ✏️ and ❌ for each rule by its number, ➕ to add one, ⚙️ to the settings."""
    builder = _Grid()
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
    return builder.markup()


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
    builder = _Grid()
    builder.buttons(
        [
            _button(icon + labels[menu], Setting(key=SettingKey.MENU, value=menu))
            for menu, icon in SETTINGS_MENU
        ],
        2,
    )
    return builder.markup()


def _back(builder: _Grid) -> InlineKeyboardMarkup:
    builder.row(
        InlineKeyboardButton(
            text=_("⬅️ Back"), callback_data=Setting(key=SettingKey.MENU, value="").pack()
        )
    )
    return builder.markup()


def settings_submenu(menu: str, subscription: Subscription, language: str) -> InlineKeyboardMarkup:
    """The options of one setting, the current one ✅; ``menu`` is one of SETTINGS_MENU."""
    builder = _Grid()
    if menu == "mode":
        builder.buttons(
            [
                _button(
                    _mark(_(MODE_LABELS[mode]), subscription.mode is mode),
                    Setting(key=SettingKey.MODE, value=mode.value),
                )
                for mode in DeliveryMode
            ],
            1,
        )
    elif menu == "time":
        builder.buttons(
            [
                _button(
                    _mark(time, subscription.digest_time == time),
                    Setting(key=SettingKey.TIME, value=pack_time(time)),
                )
                for time in DIGEST_TIMES
            ],
            4,
        )
    elif menu == "day":
        builder.buttons(
            [
                _button(
                    _mark(_(label), subscription.digest_weekday == weekday),
                    Setting(key=SettingKey.DAY, value=str(weekday)),
                )
                for weekday, label in enumerate(WEEKDAYS_SHORT)
            ],
            4,
        )
    elif menu == "tz":
        builder.buttons(
            [
                _button(
                    _mark(
                        f"{_(preset.city)} {preset.offset_label}",
                        subscription.timezone == preset.zone,
                    ),
                    Setting(key=SettingKey.ZONE, value=preset.zone),
                )
                for preset in TIME_ZONES
            ],
            2,
        )
    elif menu == "quiet":
        options = [
            _button(
                _mark(
                    f"{start}–{end}",
                    (subscription.quiet_start, subscription.quiet_end) == (start, end),
                ),
                Setting(key=SettingKey.QUIET, value=pack_quiet(start, end)),
            )
            for start, end in QUIET_HOURS
        ]
        options.append(
            _button(
                _mark(_("Off"), subscription.quiet_start is None),
                Setting(key=SettingKey.QUIET, value=QUIET_OFF),
            )
        )
        builder.buttons(options, 2)
    elif menu == "lang":
        return _back(_language_builder(language))
    return _back(builder)


def _language_builder(language: str) -> _Grid:
    builder = _Grid()
    builder.buttons(
        [
            _button(_mark(label, code == language), Language(code=code))
            for code, label in LANGUAGE_LABELS.items()
        ],
        2,
    )
    return builder


def language_keyboard(language: str) -> InlineKeyboardMarkup:
    return _language_builder(language).markup()


def stop_keyboard() -> InlineKeyboardMarkup:
    builder = _Grid()
    builder.row(
        _button(_("Yes, unsubscribe"), StopConfirm(confirm=True)),
        _button(_("Cancel"), StopConfirm(confirm=False)),
    )
    return builder.markup()


def more_latest_keyboard(offset: int, region: str | None) -> InlineKeyboardMarkup:
    return _more_latest_keyboard(_("⬇️ More"), offset, region or "")


@lru_cache(maxsize=BUTTON_CACHE_SIZE)
def _more_latest_keyboard(label: str, offset: int, region: str) -> InlineKeyboardMarkup:
    """Under every page of /latest: memoised like the choice buttons (it is immutable)."""
    builder = _Grid()
    builder.row(_button(label, LatestPage(offset=offset, region=region)))
    return builder.markup()


def more_search_keyboard(offset: int) -> InlineKeyboardMarkup:
    builder = _Grid()
    builder.row(_button(_("⬇️ More"), SearchPage(offset=offset)))
    return builder.markup()


def suggestions_keyboard(regions: Sequence[Region]) -> InlineKeyboardMarkup | None:
    """Closest regions to a typo: each opens /latest for that region."""
    if not regions:
        return None
    builder = _Grid()
    builder.buttons(
        [_button(name_of(region), LatestPage(offset=0, region=region.code)) for region in regions],
        1,
    )
    return builder.markup()


def items_of(
    part: Part, names: Names, pages: RegionPages | None, page: int
) -> tuple[Region | Section | Topic, ...]:
    """The items a choice keyboard shows on ``page``."""
    if part is Part.REGIONS:
        return pages.regions(page) if pages is not None else ()
    if part is Part.SECTIONS:
        return tuple(names.sections.values())
    return tuple(names.topics.values())
