"""stacks: each stack version's rule, and component credentials submitted from elsewhere

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:00:00.000000

No column is added to ``achievement``: a stack is an ordinary achievement version, and its rule
is a row of its own written in the same transaction (immutable, like the version). Stack
credentials need no table either: they are awards, made exactly once per (stack version,
educator) by the existing ``(issuer_id, idempotency_key)`` unique constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stack_rule",
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["achievement_id"], ["achievement.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("achievement_id"),
    )
    with op.batch_alter_table("stack_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stack_rule_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stack_rule_slug"), ["slug"], unique=False)

    op.create_table(
        "stack_submission",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("recipient_email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recipient_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("credential_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("achievement_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column(
            "achievement_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("achievement_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("component_issuer", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("trusted", sa.Boolean(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "issuer_id", "recipient_email", "content_hash", name="uq_stack_submission_content"
        ),
    )
    with op.batch_alter_table("stack_submission", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stack_submission_issuer_id"), ["issuer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stack_submission_recipient_email"), ["recipient_email"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stack_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stack_submission_recipient_email"))
        batch_op.drop_index(batch_op.f("ix_stack_submission_issuer_id"))
    op.drop_table("stack_submission")
    with op.batch_alter_table("stack_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stack_rule_slug"))
        batch_op.drop_index(batch_op.f("ix_stack_rule_issuer_id"))
    op.drop_table("stack_rule")
