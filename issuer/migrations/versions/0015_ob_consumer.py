"""OB 3.0 API consumer: the Hosts registered with, and the pushes of awards to them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 21:00:00.000000

Two new tables (:mod:`issuer.models.ob_consumer`); nothing existing changes. The client secret
and each push's PKCE verifier are sealed with the KEK; the state is kept as a digest only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "remote_host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("discovery_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "registration_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column(
            "authorization_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column("token_url", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("redirect_uri", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("remote_host", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remote_host_api_url"), ["api_url"], unique=True)

    op.create_table(
        "host_push",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("remote_host_id", sa.Integer(), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_verifier_sealed", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("answer_status", sa.Integer(), nullable=True),
        sa.Column("answer_description", sa.Text(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.ForeignKeyConstraint(["remote_host_id"], ["remote_host.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("host_push", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_push_award_id"), ["award_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_host_push_remote_host_id"), ["remote_host_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_host_push_state_hash"), ["state_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("host_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_push_state_hash"))
        batch_op.drop_index(batch_op.f("ix_host_push_remote_host_id"))
        batch_op.drop_index(batch_op.f("ix_host_push_award_id"))
    op.drop_table("host_push")
    with op.batch_alter_table("remote_host", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_host_api_url"))
    op.drop_table("remote_host")
