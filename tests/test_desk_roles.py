"""Roles on a real SQLite file: owners from ADMIN_IDS, editors from the table, every change
audited in the same transaction; and the admin filters asking the service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.types import Chat, Message, User

from bot.desk.roles import (
    ACTION_EDITOR_ADD,
    ACTION_EDITOR_REMOVE,
    AlreadyEditor,
    AlreadyOwner,
    NotAnEditor,
    NotAnOwner,
    Roles,
)
from bot.domain.clock import ManualClock
from handlers.filters import IsAdmin, IsOwner
from storage.audit import recent_audit
from storage.database import Database

OWNER = 100
EDITOR = 200
STRANGER = 300
START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def test_an_owner_adds_and_removes_an_editor_and_the_audit_log_has_both(
    tmp_path: Path,
) -> None:
    clock = ManualClock(START)
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        roles = Roles(database, owner_ids=[OWNER], clock=clock)
        assert not await roles.is_admin(EDITOR)

        added = await roles.add_editor(OWNER, EDITOR, name="Мария")
        assert (added.user_id, added.added_by, added.name) == (EDITOR, OWNER, "Мария")
        assert await roles.is_admin(EDITOR)
        assert not roles.is_owner(EDITOR)
        # a fresh service (a restart) reads the same from the file
        again = Roles(database, owner_ids=[OWNER], clock=clock)
        assert await again.is_admin(EDITOR)
        assert [e.user_id for e in await again.editors()] == [EDITOR]

        clock.advance(timedelta(minutes=5))
        removed = await roles.remove_editor(OWNER, EDITOR)
        assert removed.user_id == EDITOR
        assert not await roles.is_admin(EDITOR)
        assert await roles.editors() == []

        entries = await database.read(lambda conn: recent_audit(conn, limit=10))
        assert [(e.action, e.actor_id, e.subject, e.at) for e in entries] == [
            (ACTION_EDITOR_REMOVE, OWNER, f"user:{EDITOR}", START + timedelta(minutes=5)),
            (ACTION_EDITOR_ADD, OWNER, f"user:{EDITOR}", START),
        ]
        assert entries[1].before is None
        assert entries[1].after == {"role": "editor", "name": "Мария", "added_by": OWNER}
        assert entries[0].before == entries[1].after
        assert entries[0].after is None
    finally:
        await database.close()


async def test_refused_changes_change_nothing_and_write_no_audit(tmp_path: Path) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        roles = Roles(database, owner_ids=[OWNER], clock=ManualClock(START))
        await roles.add_editor(OWNER, EDITOR)
        with pytest.raises(NotAnOwner):
            await roles.add_editor(EDITOR, STRANGER)  # an editor cannot add editors
        with pytest.raises(NotAnOwner):
            await roles.remove_editor(EDITOR, EDITOR)
        with pytest.raises(AlreadyEditor):
            await roles.add_editor(OWNER, EDITOR)
        with pytest.raises(AlreadyOwner):
            await roles.add_editor(OWNER, OWNER)
        with pytest.raises(NotAnEditor):
            await roles.remove_editor(OWNER, STRANGER)
        with pytest.raises(NotAnEditor):
            await roles.remove_editor(OWNER, OWNER)
        assert not await roles.is_admin(STRANGER)
        assert [e.user_id for e in await roles.editors()] == [EDITOR]
        entries = await database.read(recent_audit)
        assert [e.action for e in entries] == [ACTION_EDITOR_ADD]
    finally:
        await database.close()


def _message(sender: int | None) -> Message:
    return Message(
        message_id=1,
        date=START,
        chat=Chat(id=sender or -1, type="private" if sender else "channel"),
        from_user=None if sender is None else User(id=sender, is_bot=False, first_name="x"),
        text="/admins",
    )


@pytest.mark.parametrize(
    ("sender", "admin", "owner"),
    [(OWNER, True, True), (EDITOR, True, False), (STRANGER, False, False), (None, False, False)],
)
async def test_the_filters_ask_the_service(
    tmp_path: Path, sender: int | None, admin: bool, owner: bool
) -> None:
    database = await Database.open(tmp_path / "db.sqlite3")
    try:
        roles = Roles(database, owner_ids=[OWNER], clock=ManualClock(START))
        await roles.add_editor(OWNER, EDITOR)
        event = _message(sender)
        # the owners-only fallback ``admin_ids`` is ignored when the service is there
        assert await IsAdmin()(event, admin_ids=frozenset({STRANGER}), roles=roles) is admin
        assert await IsOwner()(event, admin_ids=frozenset({STRANGER}), roles=roles) is owner
    finally:
        await database.close()
