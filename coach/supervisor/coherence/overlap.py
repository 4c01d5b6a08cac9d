"""Word runs shared with other texts: copying a source, or repeating an earlier reply."""

from __future__ import annotations

import re
from collections.abc import Iterable

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("\u2019", "'"))


def runs(text: str, n: int) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


class RunIndex:
    """Every ``n``-word run of some texts, built once and asked many times."""

    def __init__(self, texts: Iterable[str], n: int) -> None:
        self.n = n
        self.runs: set[tuple[str, ...]] = set()
        for text in texts:
            self.runs |= runs(text, n)

    def shared(self, text: str, besides: str = "") -> str | None:
        """The first run of ``text`` found in the index, as words; None when none is. Runs
        that ``besides`` also holds do not count (the trainee's own words, reflected)."""
        tokens = words(text)
        allowed = runs(besides, self.n) if besides else set()
        for i in range(len(tokens) - self.n + 1):
            run = tuple(tokens[i : i + self.n])
            if run in self.runs and run not in allowed:
                return " ".join(run)
        return None
