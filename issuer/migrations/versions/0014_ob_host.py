"""The OB 3.0 API's Host: upserted credentials and educators' Profiles

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-10 10:00:00.000000

Two new tables (:mod:`issuer.models.ob_host`), both belonging to an educator ("learner",
revision 0012); nothing existing changes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ob_host_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("identity", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issuer_key", sa.Text(), nullable=False),
        sa.Column("credential_key", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("issuer_name", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "identity", name="uq_ob_host_credential_identity"),
    )
    with op.batch_alter_table("ob_host_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ob_host_credential_learner_id"), ["learner_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ob_host_credential_updated"), ["updated"], unique=False
        )

    op.create_table(
        "ob_host_profile",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("learner_id"),
    )


def downgrade() -> None:
    op.drop_table("ob_host_profile")
    with op.batch_alter_table("ob_host_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ob_host_credential_updated"))
        batch_op.drop_index(batch_op.f("ix_ob_host_credential_learner_id"))
    op.drop_table("ob_host_credential")
