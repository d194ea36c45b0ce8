"""A note and the git dirty flag per run, extra facts (JSON), indexes for common queries.

Revision ID: r0002
Revises: r0001
"""

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("git_dirty", sa.Boolean))
        batch.add_column(sa.Column("note", sa.Text))
        batch.add_column(sa.Column("extra", sa.JSON))
    op.create_index("ix_runs_strategy", "runs", ["strategy"])
    op.create_index("ix_runs_kind_timeframe", "runs", ["kind", "timeframe"])


def downgrade() -> None:
    op.drop_index("ix_runs_kind_timeframe", "runs")
    op.drop_index("ix_runs_strategy", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("extra")
        batch.drop_column("note")
        batch.drop_column("git_dirty")
