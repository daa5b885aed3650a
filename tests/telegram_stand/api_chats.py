"""Bot API methods about the bot itself, its updates, its commands and its chats."""

from __future__ import annotations

import re
from typing import Any

from .api_messages import Handler
from .core import StandCore
from .errors import bad_request
from .models import ChatKind, MemberStatus, StandChat, StandUser, scope_key
from .params import Params

MAX_COMMANDS = 100
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
}


def member_json(chat: StandChat, user: StandUser, status: MemberStatus) -> dict[str, Any]:
    """A Bot API ``ChatMember`` of the right variant for ``status``."""
    data: dict[str, Any] = {"status": status.value, "user": user.to_api()}
    if status is MemberStatus.CREATOR:
        data["is_anonymous"] = False
    elif status is MemberStatus.ADMINISTRATOR:
        data.update(_ADMIN_RIGHTS)
        if chat.kind is ChatKind.CHANNEL:
            data.update(can_post_messages=True, can_edit_messages=True)
        else:
            data["can_pin_messages"] = True
            if chat.kind is ChatKind.SUPERGROUP:
                data["can_manage_topics"] = chat.is_forum
    elif status is MemberStatus.KICKED:
        data["until_date"] = 0
    return data


def chat_member_updated(
    core: StandCore,
    chat: StandChat,
    actor: StandUser,
    old: MemberStatus,
    new: MemberStatus,
) -> dict[str, Any]:
    """The payload of a ``my_chat_member`` update about the bot."""
    bot = core.state.bot
    return {
        "chat": chat.to_api(),
        "from": actor.to_api(),
        "date": core.now_date(),
        "old_chat_member": member_json(chat, bot, old),
        "new_chat_member": member_json(chat, bot, new),
    }


async def get_me(core: StandCore, params: Params) -> Any:
    return {
        **core.state.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


async def get_updates(core: StandCore, params: Params) -> Any:
    allowed = params.json_value("allowed_updates", what="allowed updates")
    if allowed is not None and not (
        isinstance(allowed, list) and all(isinstance(kind, str) for kind in allowed)
    ):
        raise bad_request("can't parse allowed updates JSON object")
    return await core.hub.get_updates(
        offset=params.integer("offset"),
        limit=params.integer("limit") or 100,
        wait=float(params.integer("timeout") or 0),
        allowed=allowed,
    )


async def set_webhook(core: StandCore, params: Params) -> Any:
    allowed = params.json_value("allowed_updates", what="allowed updates")
    core.hub.set_webhook(
        params.text("url") or "",
        secret_token=params.text("secret_token"),
        allowed=allowed if isinstance(allowed, list) else None,
        max_connections=params.integer("max_connections"),
        drop_pending=params.flag("drop_pending_updates"),
    )
    core.flush_soon()
    return True


async def delete_webhook(core: StandCore, params: Params) -> Any:
    core.hub.delete_webhook(drop_pending=params.flag("drop_pending_updates"))
    return True


async def get_webhook_info(core: StandCore, params: Params) -> Any:
    return core.hub.webhook_info()


def _command_key(core: StandCore, params: Params) -> tuple[str, str]:
    scope = params.json_value("scope", what="scope")
    if scope is not None:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise bad_request("can't parse BotCommandScope: unsupported scope type")
        if scope["type"].startswith("chat"):
            chat = core.state.chats.get(scope.get("chat_id", 0))
            if chat is None or chat.forgotten:
                raise bad_request("chat not found")
        if scope["type"] == "chat_member" and scope.get("user_id") not in core.state.users:
            raise bad_request("user not found")
    language = params.text("language_code") or ""
    if language and not _LANGUAGE.match(language):
        raise bad_request("invalid language code specified")
    return scope_key(scope), language


async def set_my_commands(core: StandCore, params: Params) -> Any:
    commands = params.json_value("commands", what="commands")
    if not isinstance(commands, list):
        raise bad_request('parameter "commands" is required')
    if len(commands) > MAX_COMMANDS:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    checked: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": name, "description": description})
    key = _command_key(core, params)
    if checked:
        core.state.commands[key] = checked
    else:
        core.state.commands.pop(key, None)
    return True


async def get_my_commands(core: StandCore, params: Params) -> Any:
    return [dict(command) for command in core.state.commands.get(_command_key(core, params), [])]


async def delete_my_commands(core: StandCore, params: Params) -> Any:
    core.state.commands.pop(_command_key(core, params), None)
    return True


async def get_chat(core: StandCore, params: Params) -> Any:
    chat = core.resolve_chat(params)
    if not chat.is_private:
        core.check_access(chat)
    info = {
        **chat.to_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if chat.migrated_from is not None:
        info["migrated_from_chat_id"] = chat.migrated_from
    return info


def _status_of(core: StandCore, chat: StandChat, user_id: int) -> MemberStatus:
    if user_id == core.state.bot.id:
        return chat.bot_status
    if chat.is_private:
        assert chat.user is not None
        return MemberStatus.MEMBER if user_id == chat.user.id else MemberStatus.LEFT
    return chat.members.get(user_id, MemberStatus.LEFT)


async def get_chat_member(core: StandCore, params: Params) -> Any:
    chat = core.resolve_chat(params)
    if not chat.is_private:
        core.check_access(chat)
    user_id = params.required_integer("user_id", "user_id is empty")
    user = core.state.bot if user_id == core.state.bot.id else core.state.users.get(user_id)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    return member_json(chat, user, _status_of(core, chat, user_id))


async def get_chat_administrators(core: StandCore, params: Params) -> Any:
    chat = core.resolve_chat(params)
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    core.check_access(chat)
    admins = [
        member_json(chat, core.state.users[user_id], status)
        for user_id, status in chat.members.items()
        if status in {MemberStatus.CREATOR, MemberStatus.ADMINISTRATOR}
    ]
    if chat.bot_status is MemberStatus.ADMINISTRATOR:
        admins.append(member_json(chat, core.state.bot, MemberStatus.ADMINISTRATOR))
    return admins


async def leave_chat(core: StandCore, params: Params) -> Any:
    chat = core.resolve_chat(params)
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    core.check_access(chat)
    old = chat.bot_status
    chat.bot_status = MemberStatus.LEFT
    core.publish_soon(
        "my_chat_member", chat_member_updated(core, chat, core.state.bot, old, MemberStatus.LEFT)
    )
    return True


async def send_chat_action(core: StandCore, params: Params) -> Any:
    chat = core.sendable_chat(params)
    core.thread_for(chat, params)
    if not params.text("action"):
        raise bad_request("action is empty")
    return True


CHAT_METHODS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatAdministrators": get_chat_administrators,
    "leaveChat": leave_chat,
    "sendChatAction": send_chat_action,
}
