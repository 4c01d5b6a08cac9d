"""users, assignments, session ownership and review fields, comments, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("supervisor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("trainee_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.UniqueConstraint("supervisor_id", "trainee_id"),
    )
    op.create_index("ix_assignments_supervisor_id", "assignments", ["supervisor_id"])
    op.create_index("ix_assignments_trainee_id", "assignments", ["trainee_id"])
    # batch mode: SQLite cannot add a foreign key to an existing table in place
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer, nullable=True))
        batch.add_column(
            sa.Column("flagged", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("flag_reason", sa.Text))
        batch.add_column(sa.Column("ended_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("summary", sa.Text))
        batch.add_column(sa.Column("next_steps", sa.Text))
        batch.create_foreign_key("fk_sessions_user_id", "users", ["user_id"], ["id"])
        batch.create_index("ix_sessions_user_id", ["user_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("sessions.id"), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id")),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_comments_session_id", "comments", ["session_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("session_id", sa.String(32)),
    )
    op.create_index("ix_audit_log_user_id", "audit_log", ["user_id"])
    op.create_index("ix_audit_log_session_id", "audit_log", ["session_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("comments")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_index("ix_sessions_user_id")
        batch.drop_constraint("fk_sessions_user_id", type_="foreignkey")
        for column in ("next_steps", "summary", "ended_at", "flag_reason", "flagged", "user_id"):
            batch.drop_column(column)
    op.drop_table("assignments")
    op.drop_table("users")
