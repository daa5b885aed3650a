"""Method parameters as Telegram reads them: from JSON, a URL-encoded form or multipart.

In a form every value is a string and nested objects arrive as JSON strings (this is how
aiogram sends them); in a JSON body they arrive as they are. ``Params`` reads both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content: bytes


class Params:
    """Typed, Telegram-worded access to one call's parameters."""

    def __init__(
        self, values: Mapping[str, Any], files: Mapping[str, UploadedFile] | None = None
    ) -> None:
        self._values = dict(values)
        self._files = dict(files or {})

    def as_record(self) -> dict[str, Any]:
        """The parameters for the call log, with files replaced by a short description."""
        record = dict(self._values)
        for name, upload in self._files.items():
            record[name] = f"<file {upload.filename!r}, {len(upload.content)} bytes>"
        return record

    def has(self, name: str) -> bool:
        value = self._values.get(name)
        return value is not None and value != ""

    def text(self, name: str, *, missing: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None or value == "":
            if missing is not None:
                raise bad_request(missing)
            return None
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        if not isinstance(value, str):
            raise bad_request(f'field "{name}" must be of type String')
        return value

    def required_text(self, name: str, missing: str) -> str:
        value = self.text(name, missing=missing)
        assert value is not None
        return value

    def integer(self, name: str, *, missing: str | None = None) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            if missing is not None:
                raise bad_request(missing)
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def required_integer(self, name: str, missing: str) -> int:
        value = self.integer(name, missing=missing)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        value = self._values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1"}
        return bool(value)

    def json_value(self, name: str, *, what: str) -> Any:
        """A nested object: decoded from a JSON string, or taken as is from a JSON body."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """A chat id or ``@username``; a missing one is ``"<name> is empty"``."""
        value = self._values.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        raw = str(value).strip()
        if raw.startswith("@"):
            return raw
        try:
            return int(raw)
        except ValueError:
            raise bad_request("chat not found") from None

    def upload(self, reference: str) -> UploadedFile | None:
        """The uploaded file an ``attach://name`` reference (or a field name) points to."""
        name = reference.removeprefix("attach://")
        return self._files.get(name)

    def file_field(self, name: str) -> UploadedFile | None:
        return self._files.get(name)
