"""The command menus: the full list for private chats, a shorter one for groups, ru and en.

The composition root sets them with::

    for (scope, language_code), commands in bot_commands().items():
        await bot.set_my_commands(commands, scope=scope, language_code=language_code)
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

from bot.telegram.i18n import DEFAULT_LANGUAGE, LOCALES_PATH, N_, build_i18n

PRIVATE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("set up the news you receive")),
    ("latest", N_("the newest news, optionally for a region")),
    ("search", N_("find articles by words")),
    ("my", N_("your subscription and its rules")),
    ("regions", N_("choose regions")),
    ("sections", N_("choose sections")),
    ("topics", N_("choose topics")),
    ("settings", N_("delivery mode, time, time zone, quiet hours")),
    ("pause", N_("pause delivery")),
    ("resume", N_("resume delivery")),
    ("stop", N_("unsubscribe from everything")),
    ("lang", N_("interface language")),
    ("help", N_("what the bot can do")),
)
GROUP_COMMAND_NAMES = ("start", "latest", "search", "my", "settings", "help")
GROUP_COMMANDS = tuple(item for item in PRIVATE_COMMANDS if item[0] in GROUP_COMMAND_NAMES)
MENU_LANGUAGES = ("ru", "en")

CommandScope = BotCommandScopeAllPrivateChats | BotCommandScopeAllGroupChats


class CommandMenu(NamedTuple):
    scope: CommandScope
    language_code: str | None  # None: the menu for every other language (Russian)


def bot_commands(locales_path: Path = LOCALES_PATH) -> dict[CommandMenu, list[BotCommand]]:
    """Every ``setMyCommands`` call to make: per scope, per language, plus a Russian default."""
    i18n = build_i18n(locales_path)
    menus: dict[CommandMenu, list[BotCommand]] = {}
    scopes: tuple[tuple[CommandScope, tuple[tuple[str, str], ...]], ...] = (
        (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
        (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    )
    for scope, commands in scopes:
        for language in (None, *MENU_LANGUAGES):
            locale = language or DEFAULT_LANGUAGE
            menus[CommandMenu(scope, language)] = [
                BotCommand(command=name, description=i18n.gettext(description, locale=locale))
                for name, description in commands
            ]
    return menus
