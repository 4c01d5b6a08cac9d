"""practice sessions: the session's kind and persona, the client's state per message

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(16), nullable=False, server_default="supervision")
        )
        batch.add_column(sa.Column("persona", sa.String(64)))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("client_state", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("client_state")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("persona")
        batch.drop_column("kind")
