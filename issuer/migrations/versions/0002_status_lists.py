"""status lists: Bitstring Status Lists, index allocations, and the status audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 17:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("is_full", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed_version", sa.Integer(), nullable=False),
        sa.Column("signed_credential", sa.Text(), nullable=True),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_list", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_list_public_id"), ["public_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_status_list_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(
            "uq_status_list_open",
            ["issuer_id", "purpose"],
            unique=True,
            sqlite_where=sa.text("NOT is_full"),
            postgresql_where=sa.text("NOT is_full"),
        )

    op.create_table(
        "status_allocation",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("is_set", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["list_id"], ["status_list.id"]),
        # Deferred: the award hook allocates before the award row is inserted (same transaction).
        sa.ForeignKeyConstraint(["award_id"], ["award.id"], deferrable=True, initially="DEFERRED"),
        sa.PrimaryKeyConstraint("list_id", "status_index"),
    )
    with op.batch_alter_table("status_allocation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_allocation_award_id"), ["award_id"], unique=False
        )

    op.create_table(
        "status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("previous_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("new_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_event_award_id"), ["award_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_status_event_issuer_id"), ["issuer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_event_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_status_event_award_id"))
    op.drop_table("status_event")
    with op.batch_alter_table("status_allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_allocation_award_id"))
    op.drop_table("status_allocation")
    with op.batch_alter_table("status_list", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_status_list_open",
            sqlite_where=sa.text("NOT is_full"),
            postgresql_where=sa.text("NOT is_full"),
        )
        batch_op.drop_index(batch_op.f("ix_status_list_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_status_list_public_id"))
    op.drop_table("status_list")
