"""Who may see what. Every web handler asks here, on the server, before touching a session.

- a trainee sees only their own sessions;
- a supervisor sees only the sessions of trainees assigned to them;
- an admin manages accounts and assignments, and reads no transcripts;
- nobody unauthenticated gets anything (Gradio's login guards every route, and each handler
  re-checks the user).
"""

from __future__ import annotations

from coach.errors import CoachError
from coach.storage.accounts import Accounts, User
from coach.storage.store import SessionInfo, Store


class AccessDenied(CoachError):
    """The signed-in user may not do this; the message never says whether the thing exists."""


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        names = " or ".join(roles)
        raise AccessDenied(f"This needs {'an' if names[0] in 'aeiou' else 'a'} {names} account.")


def visible_trainees(accounts: Accounts, user: User) -> list[User]:
    if user.role == "trainee":
        return [user]
    if user.role == "supervisor":
        return accounts.trainees_of(user.id)
    return []


def readable_session(store: Store, accounts: Accounts, user: User, session_id: str) -> SessionInfo:
    """The session, if this user may read it. Unknown and forbidden look the same."""
    denied = AccessDenied("That session does not exist or is not yours to see.")
    try:
        info = store.session(session_id)
    except CoachError:
        raise denied from None
    allowed = {t.id for t in visible_trainees(accounts, user)}
    if info.user_id is None or info.user_id not in allowed:
        raise denied
    return info


def writable_session(
    store: Store, accounts: Accounts, user: User, session_id: str, kind: str = "supervision"
) -> SessionInfo:
    """A session of this kind the trainee may continue: their own and not yet ended."""
    require_role(user, "trainee")
    info = readable_session(store, accounts, user, session_id)
    if info.kind != kind:
        raise AccessDenied("That session does not exist or is not yours to see.")
    if info.ended_at is not None:
        raise AccessDenied("That session has ended; start a new one.")
    return info
