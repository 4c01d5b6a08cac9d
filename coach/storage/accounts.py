"""User accounts: argon2id password hashes, roles, supervisor-trainee assignments, and a
lockout after repeated wrong passwords."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from coach.errors import InputError
from coach.storage.store import delete_session_rows
from coach.storage.tables import (
    AssignmentRow,
    AuditRow,
    CommentRow,
    RatingRow,
    SessionRow,
    UserRow,
)

Role = Literal["trainee", "supervisor", "admin"]
ROLES: tuple[Role, ...] = ("trainee", "supervisor", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
# Online guessing: after this many wrong passwords in a row an account is locked for a while.
# Kept in the database, so every web worker and a restart see the same count.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
DEMO = (("demo-trainee", "trainee"), ("demo-supervisor", "supervisor"), ("demo-admin", "admin"))
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    disabled: bool
    locked_until: datetime | None = None

    @classmethod
    def of(cls, row: UserRow) -> User:
        return cls(
            id=row.id,
            username=row.username,
            role=row.role,  # type: ignore[arg-type]
            disabled=row.disabled,
            locked_until=aware(row.locked_until),
        )

    def locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and (now or datetime.now(UTC)) < self.locked_until

    def status(self) -> str:
        status = "disabled" if self.disabled else "active"
        if self.locked():
            status += f", locked until {self.locked_until:%Y-%m-%d %H:%M} UTC"
        return status


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def new_password() -> str:
    return secrets.token_urlsafe(12)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"The password is too short; use at least {MIN_PASSWORD} characters.")


class Accounts:
    def __init__(self, factory: sessionmaker) -> None:
        self.factory = factory

    def add(self, username: str, role: str, password: str) -> User:
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise InputError(
                f"'{username}' is not a valid username; use 2-64 lower-case "
                "letters, digits, dots, dashes or underscores."
            )
        if role not in ROLES:
            raise InputError(f"Unknown role '{role}'; use trainee, supervisor or admin.")
        check_password(password)
        with self.factory.begin() as db:
            if db.scalar(select(UserRow).where(UserRow.username == username)):
                raise InputError(f"The user '{username}' already exists.")
            row = UserRow(username=username, role=role, password_hash=_hasher.hash(password))
            db.add(row)
            db.flush()
            return User.of(row)

    def get(self, username: str) -> User:
        with self.factory() as db:
            row = db.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
            if row is None:
                raise InputError(f"There is no user '{username}'.")
            return User.of(row)

    def by_id(self, user_id: int) -> User:
        with self.factory() as db:
            row = db.get(UserRow, user_id)
            if row is None:
                raise InputError(f"There is no user with id {user_id}.")
            return User.of(row)

    def list(self) -> list[User]:
        with self.factory() as db:
            return [User.of(r) for r in db.scalars(select(UserRow).order_by(UserRow.username))]

    def authenticate(
        self, username: str, password: str, now: datetime | None = None
    ) -> User | None:
        """The enabled, unlocked user these credentials belong to, or None.

        Every attempt costs one argon2 verification, so a wrong name, a wrong password and a
        locked account take equally long. A locked account refuses even the right password
        until the lockout ends; attempts during it do not extend it.
        """
        now = now or datetime.now(UTC)
        with self.factory.begin() as db:
            row = db.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
            locked = row is not None and User.of(row).locked(now)
            try:
                _hasher.verify(row.password_hash if row and not locked else _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                if row is not None and not locked:
                    # Incremented in SQL, so concurrent wrong attempts all count.
                    row.failed_logins = UserRow.failed_logins + 1
                    db.flush()
                    db.refresh(row, ["failed_logins"])
                    if row.failed_logins >= MAX_FAILED_LOGINS:
                        row.failed_logins, row.locked_until = 0, now + LOCKOUT
                return None
            if row is None or row.disabled or locked:
                return None
            row.failed_logins, row.locked_until = 0, None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            return User.of(row)

    def unlock(self, username: str) -> None:
        with self.factory.begin() as db:
            row = self._row(db, username)
            row.failed_logins, row.locked_until = 0, None

    def set_password(self, username: str, password: str) -> None:
        check_password(password)
        with self.factory.begin() as db:
            row = self._row(db, username)
            row.password_hash = _hasher.hash(password)
            row.failed_logins, row.locked_until = 0, None  # a new password ends a lockout

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        with self.factory.begin() as db:
            self._row(db, username).disabled = disabled

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise InputError(f"Unknown role '{role}'; use trainee, supervisor or admin.")
        with self.factory.begin() as db:
            self._row(db, username).role = role

    def assign(self, supervisor: str, trainee: str) -> None:
        with self.factory.begin() as db:
            sup, tr = self._row(db, supervisor), self._row(db, trainee)
            if sup.role != "supervisor":
                raise InputError(f"'{sup.username}' is a {sup.role}, not a supervisor.")
            if tr.role != "trainee":
                raise InputError(f"'{tr.username}' is a {tr.role}, not a trainee.")
            exists = db.scalar(
                select(AssignmentRow).where(
                    AssignmentRow.supervisor_id == sup.id, AssignmentRow.trainee_id == tr.id
                )
            )
            if not exists:
                db.add(AssignmentRow(supervisor_id=sup.id, trainee_id=tr.id))

    def unassign(self, supervisor: str, trainee: str) -> None:
        with self.factory.begin() as db:
            sup, tr = self._row(db, supervisor), self._row(db, trainee)
            row = db.scalar(
                select(AssignmentRow).where(
                    AssignmentRow.supervisor_id == sup.id, AssignmentRow.trainee_id == tr.id
                )
            )
            if row is None:
                raise InputError(f"'{tr.username}' is not assigned to '{sup.username}'.")
            db.delete(row)

    def trainees_of(self, supervisor_id: int) -> list[User]:
        with self.factory() as db:
            rows = db.scalars(
                select(UserRow)
                .join(AssignmentRow, AssignmentRow.trainee_id == UserRow.id)
                .where(AssignmentRow.supervisor_id == supervisor_id)
                .order_by(UserRow.username)
            )
            return [User.of(r) for r in rows]

    def assignments(self) -> list[tuple[str, str]]:
        """(supervisor, trainee) username pairs."""
        with self.factory() as db:
            sup, tr = UserRow.__table__.alias(), UserRow.__table__.alias()
            rows = db.execute(
                select(sup.c.username, tr.c.username)
                .select_from(AssignmentRow)
                .join(sup, sup.c.id == AssignmentRow.supervisor_id)
                .join(tr, tr.c.id == AssignmentRow.trainee_id)
                .order_by(sup.c.username, tr.c.username)
            )
            return [(a, b) for a, b in rows]

    def ensure_demo_accounts(self) -> list[tuple[str, str, str]]:
        """On a database with no users, create a demo trainee, supervisor and admin with
        random passwords and return (username, role, password) once; otherwise nothing."""
        with self.factory() as db:
            if db.scalar(select(UserRow.id).limit(1)) is not None:
                return []
        created = []
        for username, role in DEMO:
            password = new_password()
            self.add(username, role, password)
            created.append((username, role, password))
        self.assign("demo-supervisor", "demo-trainee")
        return created

    def delete(self, username: str, actor: str = "cli") -> int:
        """Delete an account with its sessions (messages, comments and ratings on them) and
        assignments, in one transaction, recorded in the audit log; returns the number of
        sessions deleted. The account's earlier audit rows are kept under its name. A reviewer
        whose comments or ratings sit in other trainees' sessions is refused: those are part of
        the trainees' records (disable the account instead)."""
        with self.factory.begin() as db:
            row = self._row(db, username)
            sessions = list(db.scalars(select(SessionRow.id).where(SessionRow.user_id == row.id)))
            elsewhere = ~CommentRow.session_id.in_(sessions)
            authored = db.scalar(
                select(func.count())
                .select_from(CommentRow)
                .where(CommentRow.author_id == row.id, elsewhere)
            ) + db.scalar(
                select(func.count())
                .select_from(RatingRow)
                .where(RatingRow.rater_id == row.id, ~RatingRow.session_id.in_(sessions))
            )
            if authored:
                raise InputError(
                    f"'{row.username}' has {authored} comment(s) or rating(s) in other "
                    f"trainees' sessions; disable the account instead "
                    f"(mie-coach users disable {row.username})."
                )
            delete_session_rows(db, sessions)
            db.execute(
                delete(AssignmentRow).where(
                    or_(AssignmentRow.supervisor_id == row.id, AssignmentRow.trainee_id == row.id)
                )
            )
            db.execute(
                update(AuditRow)
                .where(AuditRow.user_id == row.id)
                .values(user_id=None, actor=row.username)
            )
            db.add(
                AuditRow(
                    user_id=None,
                    actor=actor,
                    action="delete-user",
                    detail=f"deleted {row.role} '{row.username}' and {len(sessions)} "
                    f"session(s): " + ", ".join(sessions),
                )
            )
            db.delete(row)
            return len(sessions)

    @staticmethod
    def _row(db, username: str) -> UserRow:
        row = db.scalar(select(UserRow).where(UserRow.username == username.strip().lower()))
        if row is None:
            raise InputError(f"There is no user '{username}'.")
        return row
