"""What every web handler shares: the agent, the store, the accounts, and who is asking."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from coach.errors import CoachError
from coach.storage.access import AccessDenied
from coach.storage.accounts import Accounts, User
from coach.storage.store import Store
from coach.supervisor.agent import Supervisor, Turn

LIVE_PRACTICES = 200


class LivePractices(OrderedDict[str, Any]):
    """Running practices by session id; past ``limit``, the least recently used is dropped (its
    turns are saved; only its live state goes, and the trainee is told to start again)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key in self:
            self.move_to_end(key)
        return super().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


@dataclass
class WebContext:
    agent: Supervisor
    store: Store
    accounts: Accounts
    # Replies streaming now, by browser session: Stop finds its turn here, and a second
    # send while one streams is refused instead of queued behind it.
    streaming: dict[str, Turn] = field(default_factory=dict)
    # Practices running now, by session id (each holds its client's state), the most recently
    # used kept: a cohort cannot grow the server's memory without end.
    practices: LivePractices = field(default_factory=lambda: LivePractices(LIVE_PRACTICES))

    def user(self, request: gr.Request | None) -> User:
        """The signed-in, enabled user behind a request; checked in every handler."""
        username = getattr(request, "username", None) if request else None
        if not username:
            raise AccessDenied("Please log in.")
        try:
            user = self.accounts.get(username)
        except CoachError:
            raise AccessDenied("Please log in.") from None
        if user.disabled:
            raise AccessDenied("This account is disabled.")
        return user


def shown_errors(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a CoachError into a visible Gradio error (one sentence, no traceback)."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except CoachError as exc:
            raise gr.Error(str(exc)) from None

    return wrapper
