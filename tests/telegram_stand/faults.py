"""Scripted failures: answer the next N calls of a method with an error, or hang up on them."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError


@dataclass
class ScriptedFault:
    """``error`` to answer with, or ``None`` to close the connection without an answer."""

    method: str
    remaining: int
    error: ApiError | None


class FaultPlan:
    """Faults in the order they were scripted; each call of the method uses up one."""

    def __init__(self) -> None:
        self._faults: list[ScriptedFault] = []

    def add(self, method: str, times: int, error: ApiError | None) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(ScriptedFault(method.lower(), times, error))

    def take(self, method: str) -> ScriptedFault | None:
        for fault in self._faults:
            if fault.method == method.lower():
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._faults.clear()
