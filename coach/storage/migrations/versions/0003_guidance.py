"""guided generation: each supervisor reply's guidance mode, candidates and safety flags

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("guidance_mode", sa.String(16), nullable=True))
        batch.add_column(sa.Column("candidates", sa.Integer, nullable=True))
        batch.add_column(sa.Column("guidance", sa.JSON, nullable=True))
        batch.add_column(sa.Column("flags", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        for column in ("flags", "guidance", "candidates", "guidance_mode"):
            batch.drop_column(column)
