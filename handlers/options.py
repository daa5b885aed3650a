"""The presets a reader picks from: time zones, digest times, weekdays, quiet hours.

Labels are marked for the catalogue with ``N_`` and translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.models import DeliveryMode
from bot.telegram.i18n import N_


@dataclass(frozen=True, slots=True)
class ZonePreset:
    zone: str  # IANA name
    city: str  # msgid
    utc_offset: int  # hours; Russia keeps no daylight saving time

    @property
    def offset_label(self) -> str:
        return f"UTC{self.utc_offset:+d}"


TIME_ZONES = (
    ZonePreset("Europe/Kaliningrad", N_("Kaliningrad"), 2),
    ZonePreset("Europe/Moscow", N_("Moscow"), 3),
    ZonePreset("Europe/Samara", N_("Samara"), 4),
    ZonePreset("Asia/Yekaterinburg", N_("Yekaterinburg"), 5),
    ZonePreset("Asia/Omsk", N_("Omsk"), 6),
    ZonePreset("Asia/Krasnoyarsk", N_("Krasnoyarsk"), 7),
    ZonePreset("Asia/Irkutsk", N_("Irkutsk"), 8),
    ZonePreset("Asia/Yakutsk", N_("Yakutsk"), 9),
    ZonePreset("Asia/Vladivostok", N_("Vladivostok"), 10),
    ZonePreset("Asia/Magadan", N_("Magadan"), 11),
    ZonePreset("Asia/Kamchatka", N_("Kamchatka"), 12),
)
ZONES_BY_NAME = {preset.zone: preset for preset in TIME_ZONES}

DIGEST_TIMES = ("07:00", "08:00", "09:00", "10:00", "12:00", "15:00", "18:00", "21:00")

QUIET_HOURS: tuple[tuple[str, str], ...] = (
    ("22:00", "07:00"),
    ("23:00", "07:00"),
    ("23:00", "08:00"),
    ("00:00", "08:00"),
)
QUIET_OFF = "off"

WEEKDAYS_SHORT = (
    N_("Mon"),
    N_("Tue"),
    N_("Wed"),
    N_("Thu"),
    N_("Fri"),
    N_("Sat"),
    N_("Sun"),
)
WEEKDAYS_EVERY = (
    N_("on Mondays"),
    N_("on Tuesdays"),
    N_("on Wednesdays"),
    N_("on Thursdays"),
    N_("on Fridays"),
    N_("on Saturdays"),
    N_("on Sundays"),
)

MODE_LABELS = {
    DeliveryMode.INSTANT: N_("Instantly"),
    DeliveryMode.DAILY: N_("Once a day"),
    DeliveryMode.WEEKLY: N_("Once a week"),
}

LANGUAGE_LABELS = {"ru": "Русский", "en": "English"}  # each in its own language

DISTRICT_LABELS = {
    "Центральный": N_("Central FD"),
    "Северо-Западный": N_("Northwestern FD"),
    "Южный": N_("Southern FD"),
    "Северо-Кавказский": N_("North Caucasian FD"),
    "Приволжский": N_("Volga FD"),
    "Уральский": N_("Ural FD"),
    "Сибирский": N_("Siberian FD"),
    "Дальневосточный": N_("Far Eastern FD"),
}


def pack_time(value: str) -> str:
    """``09:00`` → ``0900``: a colon is the callback data separator."""
    return value.replace(":", "")


def unpack_time(value: str) -> str | None:
    """``0900`` → ``09:00``; None if it is not four digits."""
    if len(value) != 4 or not value.isdigit():
        return None
    return f"{value[:2]}:{value[2:]}"


def pack_quiet(start: str, end: str) -> str:
    return f"{pack_time(start)}-{pack_time(end)}"


def unpack_quiet(value: str) -> tuple[str, str] | None:
    """``2300-0800`` → the preset ("23:00", "08:00") if it is one of the presets."""
    start, _, end = value.partition("-")
    pair = (unpack_time(start), unpack_time(end))
    for preset in QUIET_HOURS:
        if pair == preset:
            return preset
    return None
