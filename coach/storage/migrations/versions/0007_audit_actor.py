"""the audit log records actions by the command line and by retention (no signed-in user), and
keeps its history when an account is deleted: user_id becomes optional, actor and detail added

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("actor", sa.String(64)))
        batch.add_column(sa.Column("detail", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("detail")
        batch.drop_column("actor")
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
