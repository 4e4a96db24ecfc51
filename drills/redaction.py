"""Keep secret values out of everything a drill writes or prints, and count every near miss.

The drill knows the secret values it seeded or read; each text it emits goes through
``redact`` first. A hit is replaced, counted and turned into a failed check, because a
runbook step that exposes a secret is itself an incident.
"""

from __future__ import annotations

import threading

REDACTED = "[REDACTED]"
_MIN_SECRET_LENGTH = 8  # shorter values would match ordinary words


class Redactor:
    def __init__(self, values: list[str] | None = None) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self.hits: list[str] = []  # where each hit was found, never the value
        for value in values or []:
            self.add(value)

    def add(self, value: str) -> None:
        if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
            with self._lock:
                self._values.add(value)

    @property
    def known(self) -> int:
        return len(self._values)

    def contains_secret(self, text: str) -> bool:
        with self._lock:
            return any(value in text for value in self._values)

    def redact(self, text: str, where: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            if value in text:
                self.hits.append(where)
                text = text.replace(value, REDACTED)
        return text
