"""Who may use the editorial desk: owners (the ``ADMIN_IDS`` setting) and editors (added by
owners, stored in the ``editors`` table). Owners and editors are both *admins*; only owners
manage editors. Every change is written to the audit log in the same transaction.

The editors' ids are kept in memory (read once, then changed only through this service), so the
router-level admin filter, which runs on every update that reaches an admin router, costs no
database hop. That assumes ONE bot process writes the ``editors`` table: a second process
would not see this one's changes until restarted.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.clock import Clock, system_clock
from storage import editors as units
from storage.audit import record_audit
from storage.database import Database

log = logging.getLogger(__name__)

ACTION_EDITOR_ADD = "editor.add"
ACTION_EDITOR_REMOVE = "editor.remove"


@dataclass(frozen=True, slots=True)
class Editor:
    user_id: int
    added_by: int
    added_at: datetime
    name: str | None


class RoleError(Exception):
    """An owner asked for something about editors that cannot be done; the subclass says what."""

    def __init__(self, user_id: int) -> None:
        super().__init__(user_id)
        self.user_id = user_id


class NotAnOwner(RoleError):
    """``user_id`` (the actor) is not an owner: only owners add and remove editors."""


class AlreadyOwner(RoleError):
    """``user_id`` is an owner already (from ``ADMIN_IDS``): owners are not editors."""


class AlreadyEditor(RoleError):
    """``user_id`` is an editor already."""


class NotAnEditor(RoleError):
    """``user_id`` is not an editor (owners cannot be removed from the bot)."""


def subject(user_id: int) -> str:
    """How a person is named in the audit log."""
    return f"user:{user_id}"


def _editor(row: units.EditorRow) -> Editor:
    return Editor(user_id=row.user_id, added_by=row.added_by, added_at=row.added_at, name=row.name)


def _snapshot(editor: units.EditorRow) -> dict[str, object]:
    return {"role": "editor", "name": editor.name, "added_by": editor.added_by}


class Roles:
    """Owners and editors. One per process, built by the composition root and given to the
    dispatcher as ``roles`` (the admin filters of :mod:`handlers.filters` ask it)."""

    def __init__(
        self, database: Database, *, owner_ids: Iterable[int], clock: Clock = system_clock
    ) -> None:
        self._db = database
        self._owners = frozenset(owner_ids)
        self._clock = clock
        self._editors: frozenset[int] | None = None
        self._loading = asyncio.Lock()

    @property
    def owner_ids(self) -> frozenset[int]:
        return self._owners

    def is_owner(self, user_id: int) -> bool:
        return user_id in self._owners

    async def is_admin(self, user_id: int) -> bool:
        """An owner or an editor."""
        return user_id in self._owners or user_id in await self.editor_ids()

    async def is_editor(self, user_id: int) -> bool:
        return user_id in await self.editor_ids()

    async def editor_ids(self) -> frozenset[int]:
        if self._editors is None:
            async with self._loading:
                if self._editors is None:
                    self._editors = await self._db.read(units.editor_ids)
        return self._editors

    async def admin_ids(self) -> frozenset[int]:
        """Owners and editors: everyone the desk may write to about its work."""
        return self._owners | await self.editor_ids()

    async def editors(self) -> list[Editor]:
        return [_editor(row) for row in await self._db.read(units.list_editors)]

    async def add_editor(self, actor_id: int, user_id: int, *, name: str | None = None) -> Editor:
        """``actor_id`` (an owner) makes ``user_id`` an editor; audited.

        Raises :class:`NotAnOwner`, :class:`AlreadyOwner` or :class:`AlreadyEditor`."""
        if not self.is_owner(actor_id):
            raise NotAnOwner(actor_id)
        if self.is_owner(user_id):
            raise AlreadyOwner(user_id)
        now = self._clock()

        def work(conn: sqlite3.Connection) -> units.EditorRow:
            if not units.insert_editor(
                conn, user_id=user_id, added_by=actor_id, name=name, now=now
            ):
                raise AlreadyEditor(user_id)
            row = units.get_editor(conn, user_id)
            assert row is not None
            record_audit(
                conn,
                actor_id=actor_id,
                action=ACTION_EDITOR_ADD,
                subject=subject(user_id),
                before=None,
                after=_snapshot(row),
                now=now,
            )
            return row

        row = await self._db.write(work)
        self._editors = (await self.editor_ids()) | {user_id}
        log.info("editor %d added by %d", user_id, actor_id)
        return _editor(row)

    async def remove_editor(self, actor_id: int, user_id: int) -> Editor:
        """``actor_id`` (an owner) takes the editor role from ``user_id``; audited.

        Raises :class:`NotAnOwner` or :class:`NotAnEditor`."""
        if not self.is_owner(actor_id):
            raise NotAnOwner(actor_id)
        now = self._clock()

        def work(conn: sqlite3.Connection) -> units.EditorRow:
            row = units.get_editor(conn, user_id)
            if row is None or not units.delete_editor(conn, user_id):
                raise NotAnEditor(user_id)
            record_audit(
                conn,
                actor_id=actor_id,
                action=ACTION_EDITOR_REMOVE,
                subject=subject(user_id),
                before=_snapshot(row),
                after=None,
                now=now,
            )
            return row

        row = await self._db.write(work)
        self._editors = (await self.editor_ids()) - {user_id}
        log.info("editor %d removed by %d", user_id, actor_id)
        return _editor(row)
