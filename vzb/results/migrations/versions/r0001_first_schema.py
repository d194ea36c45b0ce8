"""The first schema: runs, their artifacts and their tags.

Revision ID: r0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "r0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("duration", sa.Float),
        sa.Column("strategy", sa.String(200)),
        sa.Column("strategy_ref", sa.String(300)),
        sa.Column("params", sa.JSON),
        sa.Column("grid", sa.JSON),
        sa.Column("n_sets", sa.Integer),
        sa.Column("symbols", sa.Text),
        sa.Column("timeframe", sa.String(10)),
        sa.Column("start_time", sa.String(40)),
        sa.Column("end_time", sa.String(40)),
        sa.Column("options", sa.JSON),
        sa.Column("fingerprint", sa.String(64)),
        sa.Column("sources", sa.JSON),
        sa.Column("vzb_version", sa.String(40)),
        sa.Column("git_commit", sa.String(40)),
        sa.Column("stats", sa.JSON),
        sa.Column("task_id", sa.String(64)),
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_table(
        "artifacts",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("name", sa.String(500), primary_key=True),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("checksum", sa.String(80), nullable=False),
    )
    op.create_table(
        "tags",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("tag", sa.String(200), primary_key=True),
    )
    op.create_index("ix_tags_tag", "tags", ["tag"])


def downgrade() -> None:
    op.drop_table("tags")
    op.drop_table("artifacts")
    op.drop_table("runs")
