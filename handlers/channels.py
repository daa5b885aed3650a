"""Channels, for the bot's owners: /channel_add, /channels, /channel_mode, /channel_rules,
/channel_signature, /channel_topic (a forum group linked as a target: the topic it is posted
to), and a channel post forwarded to the bot (links that channel).

The guard is on the ROUTER (:class:`handlers.filters.IsAdmin`): for anyone else these
commands are unknown, and a forwarded post is just a message. Every mistake answers in one
line saying how to write it. Rules are given as arguments (region codes such as ``RU-IRK``,
section and topic codes), not with the subscription keyboards, which edit the chat they are
pressed in: one command sets a channel's one rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Command, CommandObject
from aiogram.types import Message, MessageOriginChannel
from aiogram.utils.i18n import gettext as _

from bot.delivery.channels import (
    POST_RIGHT,
    SEND_RIGHT,
    BotNotAdmin,
    BotNotMember,
    ChannelError,
    ChannelNotFound,
    ChannelService,
    MissingRight,
    NotAChannel,
    NoTopics,
    UnknownChannel,
)
from bot.delivery.slots import parse_slots
from bot.domain.channels import Channel, ChannelMode
from bot.domain.durations import format_duration, parse_duration
from bot.readers.catalog import Catalog
from bot.telegram.formatting import Bold, Italic, Text, as_list
from handlers.context import send
from handlers.filters import IsAdmin, on_loop
from handlers.render import describe_rule, describe_zone, echo

MAX_GAP = timedelta(days=1)


class UsageError(ValueError):
    """A command written wrong; ``str(error)`` says how to write it, in the reader's language."""


@dataclass(frozen=True, slots=True)
class ModeRequest:
    handle: str
    mode: ChannelMode
    slots: tuple[str, ...]
    gap: timedelta
    zone: str | None


@dataclass(frozen=True, slots=True)
class RuleRequest:
    handle: str
    regions: tuple[str, ...]
    sections: tuple[str, ...]
    topics: tuple[str, ...]


def _handle(word: str | None, usage: str) -> str:
    if word is None or not (word.startswith("@") or word.lstrip("-").isdigit()):
        raise UsageError(usage)
    return word


def mode_usage() -> str:
    return _(
        "Write it like: /channel_mode @channel instant [gap 15m], or /channel_mode @channel"
        " batched 09:00,13:00,18:00 [gap 60m] [tz Asia/Irkutsk]"
    )


def parse_mode(arguments: str | None) -> ModeRequest:
    """``@channel instant|batched [HH:MM,…] [gap 60m] [tz Zone/Name]``."""
    words = (arguments or "").split()
    handle = _handle(words[0] if words else None, mode_usage())
    rest = words[1:]
    if not rest or rest[0].lower() not in {mode.value for mode in ChannelMode}:
        raise UsageError(mode_usage())
    mode = ChannelMode(rest[0].lower())
    rest = rest[1:]
    slots: tuple[str, ...] = ()
    if mode is ChannelMode.BATCHED:
        if not rest or rest[0].lower() in {"gap", "tz"}:
            raise UsageError(mode_usage())
        try:
            slots = parse_slots(rest[0])
        except ValueError as error:
            raise UsageError(
                _("«{value}» is not a list of times; write it like 09:00,13:00,18:00").format(
                    value=echo(rest[0])
                )
            ) from error
        rest = rest[1:]
    gap, zone = timedelta(0), None
    while rest:
        if len(rest) < 2 or rest[0].lower() not in {"gap", "tz"}:
            raise UsageError(mode_usage())
        key, value, rest = rest[0].lower(), rest[1], rest[2:]
        if key == "gap":
            try:
                gap = timedelta(seconds=parse_duration(value))
            except ValueError as error:
                raise UsageError(
                    _("«{value}» is not a duration; write it like 15m or 1h").format(
                        value=echo(value)
                    )
                ) from error
            if gap > MAX_GAP:
                raise UsageError(_("The gap between posts can be a day at most."))
        else:
            if not _is_zone(value):
                raise UsageError(
                    _("«{value}» is not a time zone; write it like Asia/Irkutsk").format(
                        value=echo(value)
                    )
                )
            zone = value
    return ModeRequest(handle, mode, slots, gap, zone)


def _is_zone(name: str) -> bool:
    """An IANA zone name (one small file read the first time; no scan of the database)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def rules_usage() -> str:
    return _(
        "Write it like: /channel_rules @channel RU-IRK regional (region codes, section and"
        " topic codes), or /channel_rules @channel all"
    )


def parse_rules(arguments: str | None, catalog: Catalog) -> RuleRequest:
    """``@channel word…``: each word a region code (``RU-IRK``, or ``IRK``), a section or a
    topic code; ``all`` (or nothing else) for all news."""
    words = (arguments or "").split()
    handle = _handle(words[0] if words else None, rules_usage())
    regions: list[str] = []
    sections: list[str] = []
    topics: list[str] = []
    for word in words[1:]:
        code = word.strip(",;").lower()
        region = code.upper() if code.upper() in catalog.regions else f"RU-{code.upper()}"
        if code in {"all", "все", "всё"}:
            continue
        if region in catalog.regions:
            regions.append(region)
        elif code in catalog.sections:
            sections.append(code)
        elif code in catalog.topics:
            topics.append(code)
        else:
            raise UsageError(
                _(
                    "I don't know «{word}». Regions are codes like RU-IRK; sections: {sections};"
                    " topics: {topics}."
                ).format(
                    word=echo(word),
                    sections=", ".join(catalog.sections),
                    topics=", ".join(catalog.topics),
                )
            )
    return RuleRequest(
        handle,
        tuple(dict.fromkeys(regions)),
        tuple(dict.fromkeys(sections)),
        tuple(dict.fromkeys(topics)),
    )


def topic_usage() -> str:
    return _("Write it like: /channel_topic @group TOPIC_ID, or - to post to the General topic")


def parse_topic(arguments: str | None) -> tuple[str, int | None]:
    """``@group TOPIC_ID`` (the number at the end of a link to the topic) or ``@group -``."""
    words = (arguments or "").split()
    handle = _handle(words[0] if words else None, topic_usage())
    if len(words) != 2:
        raise UsageError(topic_usage())
    if words[1] == "-":
        return handle, None
    if not words[1].isdigit() or int(words[1]) <= 0 or len(words[1]) > 18:
        raise UsageError(
            _(
                "«{value}» is not a topic number; it is the number at the end of a link to the"
                " topic"
            ).format(value=echo(words[1]))
        )
    return handle, int(words[1])


# words ------------------------------------------------------------------------------------


def right_name(right: str) -> str:
    if right == POST_RIGHT:
        return _("Post messages") + f" ({POST_RIGHT})"
    if right == SEND_RIGHT:
        return _("Send messages") + f" ({SEND_RIGHT})"
    return right


def refusal(error: UsageError | ChannelError) -> str:
    """The one line for a command the admin wrote wrong or a channel that refuses."""
    return str(error) if isinstance(error, UsageError) else error_text(error)


def error_text(error: ChannelError) -> str:
    """One line for each thing that can be wrong with a channel an admin named."""
    if isinstance(error, MissingRight):
        return _(
            "I am an administrator of «{title}» but lack the right «{right}». Give me that right"
            " and send the command again."
        ).format(title=error.title, right=right_name(error.right))
    if isinstance(error, BotNotAdmin):
        return _(
            "I am not an administrator of «{title}». Add me as an administrator with the right"
            " «{right}» and send the command again."
        ).format(title=error.title, right=right_name(POST_RIGHT))
    if isinstance(error, ChannelNotFound):
        return _(
            "I can't find the channel {handle}. Check the name, or forward me a post from the"
            " channel."
        ).format(handle=echo(error.handle))
    if isinstance(error, UnknownChannel):
        return _("{handle} is not linked. Link it with /channel_add {handle}").format(
            handle=echo(error.handle)
        )
    return _title_error_text(error)


def _title_error_text(error: ChannelError) -> str:
    if isinstance(error, BotNotMember):
        text = _("I am not a member of «{title}». Add me to the group and send the command again.")
    elif isinstance(error, NotAChannel):
        text = _("«{title}» is not a channel, nor a group with topics: only these can be linked.")
    elif isinstance(error, NoTopics):
        text = _("«{title}» is a channel, and channels have no topics.")
    else:  # pragma: no cover - every subclass is handled
        return str(error)
    return text.format(title=error.title)


def describe_mode(channel: Channel) -> str:
    gap = channel.min_gap_seconds
    if channel.mode is ChannelMode.BATCHED:
        text = _("in batches at {slots}").format(slots=", ".join(channel.slots))
    else:
        text = _("each article at once")
    if gap:
        text += _(", at least {gap} apart").format(gap=format_duration(gap))
    return text


def describe_topic(channel: Channel) -> str:
    if channel.thread_id:
        return _("no. {topic}").format(topic=channel.thread_id)
    return _("General (set one with /channel_topic)")


def channel_view(channel: Channel, catalog: Catalog) -> Text:
    lines: list[Text | str] = [Text(Bold(channel.title), f" ({channel.handle})")]
    lines.append(Text(_("Mode:"), " ", describe_mode(channel)))
    if channel.forum:
        lines.append(Text(_("Forum group, topic:"), " ", describe_topic(channel)))
    lines.append(Text(_("Time zone:"), " ", describe_zone(channel.timezone)))
    rules = [describe_rule(rule, catalog) for rule in channel.rules]
    lines.append(Text(_("Rules:"), " ", "; ".join(rules) if rules else _("none")))
    if channel.signature:
        lines.append(Text(_("Signature:"), " ", channel.signature))
    if channel.paused:
        lines.append(Italic(_("Paused: {reason}").format(reason=channel.paused_reason or "—")))
    else:
        lines.append(Text(_("Posting.")))
    return as_list(*lines)


# handlers ---------------------------------------------------------------------------------


async def _link(
    message: Message, bot: Bot, channels: ChannelService, catalog: Catalog, target: int | str
) -> None:
    assert message.from_user is not None  # IsAdmin lets only a person's message through
    try:
        channel = await channels.link(bot, target, by=message.from_user.id)
    except ChannelError as error:
        await send(message, Text(error_text(error)))
        return
    if channel.forum:
        linked = _("Group «{title}» is linked.").format(title=channel.title)
        hint = _(
            "Choose its topic with /channel_topic {handle} TOPIC_ID (the number at the end of a"
            " link to the topic), its rules with /channel_rules {handle} RU-IRK."
        ).format(handle=channel.handle)
    else:
        linked = _("Channel «{title}» is linked.").format(title=channel.title)
        hint = _(
            "Set its rules with /channel_rules {handle} RU-IRK and its times with /channel_mode"
            " {handle} batched 09:00,13:00,18:00."
        ).format(handle=channel.handle)
    await send(message, as_list(Text("✅ ", linked), channel_view(channel, catalog), Text(), hint))


async def cmd_channel_add(
    message: Message,
    command: CommandObject,
    bot: Bot,
    channels: ChannelService,
    catalog: Catalog,
) -> None:
    words = (command.args or "").split()
    if len(words) != 1 or not (words[0].startswith("@") or words[0].lstrip("-").isdigit()):
        await send(
            message,
            Text(_("Send /channel_add @username, or forward me a post from the channel.")),
        )
        return
    word = words[0]
    await _link(message, bot, channels, catalog, word if word.startswith("@") else int(word))


async def on_forwarded_post(
    message: Message, bot: Bot, channels: ChannelService, catalog: Catalog
) -> None:
    origin = message.forward_origin
    assert isinstance(origin, MessageOriginChannel)  # the filter let only these through
    await _link(message, bot, channels, catalog, origin.chat.id)


async def cmd_channels(message: Message, channels: ChannelService, catalog: Catalog) -> None:
    linked = await channels.channels()
    if not linked:
        await send(
            message, Text(_("No channels are linked. Link one with /channel_add @username"))
        )
        return
    views: list[Text] = [Bold(_("Linked channels"))]
    views += [channel_view(channel, catalog) for channel in linked]
    await send(message, as_list(*views, sep="\n\n"))


async def cmd_channel_mode(
    message: Message, command: CommandObject, channels: ChannelService
) -> None:
    try:
        request = parse_mode(command.args)
        channel = await channels.set_mode(
            request.handle,
            mode=request.mode,
            slots=request.slots,
            min_gap=request.gap,
            timezone=request.zone,
        )
    except (UsageError, ChannelError) as error:
        await send(message, Text(refusal(error)))
        return
    await send(
        message,
        Text(
            _("«{title}» posts {mode}.").format(title=channel.title, mode=describe_mode(channel))
        ),
    )


async def cmd_channel_rules(
    message: Message, command: CommandObject, channels: ChannelService, catalog: Catalog
) -> None:
    try:
        request = parse_rules(command.args, catalog)
        first = catalog.regions.get(request.regions[0]) if request.regions else None
        channel = await channels.set_rule(
            request.handle,
            regions=request.regions,
            sections=request.sections,
            topics=request.topics,
            timezone_if_unset=first.timezone if first else None,
        )
    except (UsageError, ChannelError) as error:
        await send(message, Text(refusal(error)))
        return
    rule = "; ".join(describe_rule(rule, catalog) for rule in channel.rules)
    await send(
        message, Text(_("«{title}» now gets: {rule}.").format(title=channel.title, rule=rule))
    )


async def cmd_channel_signature(
    message: Message, command: CommandObject, channels: ChannelService
) -> None:
    words = (command.args or "").split(maxsplit=1)
    try:
        handle = _handle(
            words[0] if words else None,
            _("Write it like: /channel_signature @channel text, or - to remove it"),
        )
    except UsageError as error:
        await send(message, Text(str(error)))
        return
    text = words[1].strip() if len(words) > 1 else ""
    try:
        channel = await channels.set_signature(handle, None if text in {"", "-"} else text)
    except ChannelError as error:
        await send(message, Text(error_text(error)))
        return
    if channel.signature:
        answer = _("Posts to «{title}» are signed: {signature}").format(
            title=channel.title, signature=channel.signature
        )
    else:
        answer = _("Posts to «{title}» are not signed.").format(title=channel.title)
    await send(message, Text(answer))


async def cmd_channel_topic(
    message: Message, command: CommandObject, channels: ChannelService
) -> None:
    try:
        handle, thread_id = parse_topic(command.args)
        channel = await channels.set_topic(handle, thread_id)
    except UsageError as error:
        await send(message, Text(str(error)))
        return
    except ChannelError as error:
        await send(message, Text(error_text(error)))
        return
    if channel.thread_id:
        answer = _("Posts to «{title}» go to its topic no. {topic}.").format(
            title=channel.title, topic=channel.thread_id
        )
    else:
        answer = _("Posts to «{title}» go to its General topic.").format(title=channel.title)
    await send(message, Text(answer))


def build_router() -> Router:
    """A fresh channels router: the owners' guard first, then the handlers (private chats)."""
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.message.filter(on_loop(F.chat.type == ChatType.PRIVATE))
    router.message.register(cmd_channel_add, Command("channel_add"))
    router.message.register(cmd_channels, Command("channels"))
    router.message.register(cmd_channel_mode, Command("channel_mode"))
    router.message.register(cmd_channel_rules, Command("channel_rules"))
    router.message.register(cmd_channel_signature, Command("channel_signature"))
    router.message.register(cmd_channel_topic, Command("channel_topic"))
    router.message.register(on_forwarded_post, on_loop(F.forward_origin.type == "channel"))
    return router
