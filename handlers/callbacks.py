"""Typed callback data: one class per kind of button, each with a short prefix.

Every payload fits Telegram's 64-byte limit for the longest values we allow (a 32-character
slug, a 10-digit rule id) and is parsed strictly: a wrong prefix, a missing or extra field, a
value outside its set or pattern fails the filter, and the press lands in the fallback
router's "this button is out of date" answer. Buttons that change state carry the state they
ask for (``selected=1``), so a double tap leaves the same result.

Prefixes: ``tg`` toggle, ``pg`` choice page, ``any`` clear a part, ``nx`` next/done,
``wm`` onboarding delivery mode, ``rl`` rule in /my, ``st`` settings, ``lg`` language,
``sp`` /stop confirmation, ``lt`` /latest page, ``sm`` /search page.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.domain.models import DeliveryMode, RulePart

Slug = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
RegionCode = Annotated[str, Field(pattern=r"^([A-Z]{2}-[A-Z0-9]{1,6})?$")]
PageNumber = Annotated[int, Field(ge=0, le=99)]
MAX_RULE_ID = 9_999_999_999
RuleId = Annotated[int, Field(ge=0, le=MAX_RULE_ID)]
Offset = Annotated[int, Field(ge=0, le=100_000)]


class Part(StrEnum):
    """A part of a rule, one letter on the wire."""

    REGIONS = "r"
    SECTIONS = "s"
    TOPICS = "t"

    @property
    def rule_part(self) -> RulePart:
        parts: dict[Part, RulePart] = {
            Part.REGIONS: "regions",
            Part.SECTIONS: "sections",
            Part.TOPICS: "topics",
        }
        return parts[self]


class Flow(StrEnum):
    """Where a choice keyboard leads when the reader is done with it."""

    EDIT = "e"  # /regions, /sections, /topics, ✏️ in /my: «Готово» shows the rule
    ONBOARDING = "o"  # /start: regions → sections → topics → delivery mode → summary
    ADD = "a"  # ➕ in /my: regions → sections → topics → the rule


class Toggle(CallbackData, prefix="tg"):
    """Select (``selected=True``) or unselect one value of the rule ``rule``."""

    part: Part
    value: Slug
    selected: bool
    page: PageNumber
    flow: Flow
    rule: RuleId


class ChoicePage(CallbackData, prefix="pg"):
    """Show another page of a choice keyboard (regions: 0 = with news, then districts)."""

    part: Part
    page: PageNumber
    flow: Flow


class ClearPart(CallbackData, prefix="any"):
    """«Любой регион» / «Любой раздел» / «Любая тема»: make the part "any"."""

    part: Part
    page: PageNumber
    flow: Flow
    rule: RuleId


class StepDone(CallbackData, prefix="nx"):
    """«Далее ➡️» or «Готово» under a choice keyboard."""

    part: Part
    flow: Flow


class WizardMode(CallbackData, prefix="wm"):
    """The last onboarding step: how news arrive."""

    mode: DeliveryMode


class RuleAction(CallbackData, prefix="rl"):
    """❌ remove or ✏️ edit the rule ``target``; ➕ add one to the ``target`` rules shown.

    Carrying the number of rules shown makes ➕ idempotent: a second tap finds one more.
    """

    verb: Literal["rm", "ed", "add"]
    target: RuleId


class SettingKey(StrEnum):
    MENU = "menu"  # value: a submenu name, or "" for the main settings view
    MODE = "mode"  # value: instant | daily | weekly
    TIME = "time"  # value: HHMM
    DAY = "day"  # value: 0..6
    ZONE = "tz"  # value: an IANA zone of the presets
    QUIET = "quiet"  # value: HHMM-HHMM or "off"


class Setting(CallbackData, prefix="st"):
    key: SettingKey
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_/+-]{0,32}$")]


class Language(CallbackData, prefix="lg"):
    code: Literal["ru", "en"]


class StopConfirm(CallbackData, prefix="sp"):
    confirm: bool


class LatestPage(CallbackData, prefix="lt"):
    """/latest: the page at ``offset``; ``region`` empty means "by the chat's rules"."""

    offset: Offset
    region: RegionCode


class SearchPage(CallbackData, prefix="sm"):
    """/search: the page at ``offset``; the query is read back from the message it is under."""

    offset: Offset
