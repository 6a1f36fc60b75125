"""Deliveries, claim tokens, and (on PostgreSQL) the job queue's tables

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 08:00:00.000000

``delivery``: each email owed to an educator (a claim link, a revocation or suspension notice)
and what became of it; ``claim_token``: the SHA-256 of each claim link's token, its award and
expiry (:mod:`issuer.models.delivery`).

On PostgreSQL the job queue (huey's ``SqlStorage``, :mod:`issuer.jobs`) lives in the same
database, in four tables named ``job_*`` so they cannot collide with ours. They are made here,
by the migration every start runs under the start-up lock, and never by huey itself: two
workers starting at once would race on ``CREATE TABLE IF NOT EXISTS``. Their columns are
exactly what huey's peewee models declare (``tests/issuer/test_jobs.py`` runs the queue on
them). On SQLite the queue is a file of its own (``jobs.sqlite3``), made by huey.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("lease_until", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=True),
        sa.Column("created", _TIME, nullable=False),
        sa.Column("updated", _TIME, nullable=False),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", name="uq_delivery_dedupe"),
    )
    op.create_index("ix_delivery_award_id", "delivery", ["award_id"])
    op.create_index("ix_delivery_status_next", "delivery", ["status", "next_attempt_at"])
    op.create_table(
        "claim_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created", _TIME, nullable=False),
        sa.Column("expires", _TIME, nullable=False),
        sa.Column("revoked", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_claim_token_award_id", "claim_token", ["award_id"])
    if op.get_bind().dialect.name == "postgresql":
        _create_job_tables()


def _create_job_tables() -> None:
    """huey's SqlStorage tables (its peewee models' DDL), prefixed ``job_``."""
    for table in ("job_kv", "job_counter"):
        value = (
            sa.Column("value", sa.LargeBinary(), nullable=False)
            if table == "job_kv"
            else sa.Column("value", sa.Integer(), nullable=False)
        )
        op.create_table(
            table,
            sa.Column("queue", sa.String(length=255), nullable=False),
            sa.Column("key", sa.String(length=255), nullable=False),
            value,
            sa.PrimaryKeyConstraint("queue", "key"),
        )
    op.create_table(
        "job_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("job_schedule_queue_timestamp", "job_schedule", ["queue", "timestamp"])
    op.create_table(
        "job_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("priority", sa.REAL(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("job_task_priority_id", "job_task", [sa.text("priority DESC"), "id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("job_task", "job_schedule", "job_counter", "job_kv"):
            op.drop_table(table)
    op.drop_index("ix_claim_token_award_id", table_name="claim_token")
    op.drop_table("claim_token")
    op.drop_index("ix_delivery_status_next", table_name="delivery")
    op.drop_index("ix_delivery_award_id", table_name="delivery")
    op.drop_table("delivery")
