"""initial schema: issuers, keys, catalog, awards, api keys, batches

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 16:53:35.536301
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "issuer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("image", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("other_identifiers", sa.JSON(), nullable=False),
        sa.Column("did_method", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("did", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["issuer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("issuer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuer_slug"), ["slug"], unique=True)

    op.create_table(
        "achievement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", "version", name="uq_achievement_slug_version"),
    )
    with op.batch_alter_table("achievement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_achievement_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_achievement_slug"), ["slug"], unique=False)
        batch_op.create_index(
            "uq_achievement_current",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )

    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_key_prefix"), ["prefix"], unique=True)

    op.create_table(
        "batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("batch_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer_id", "batch_key", name="uq_batch_key"),
    )
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_issuer_id"), ["issuer_id"], unique=False)

    op.create_table(
        "issuer_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("key_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("sealed_private_jwk", sa.Text(), nullable=False),
        sa.Column("kek_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("verification_method", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("controller", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("issuer_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issuer_key_issuer_id"), ["issuer_id"], unique=False)

    op.create_table(
        "award",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("achievement_id", sa.Integer(), nullable=False),
        sa.Column("achievement_slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("recipient_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recipient_email", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("recipient_did", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("identity_salt", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("score", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("rubric_level", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("assessor", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("awarded", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activity_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("batch_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=False),
        sa.Column("signed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["achievement_id"],
            ["achievement.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["issuer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer_id", "idempotency_key", name="uq_award_idempotency"),
    )
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_award_achievement_slug"), ["achievement_slug"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_award_issuer_id"), ["issuer_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_award_recipient_email"), ["recipient_email"], unique=False
        )

    op.create_table(
        "batch_row",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"],
            ["award.id"],
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["batch.id"],
        ),
        sa.PrimaryKeyConstraint("batch_id", "row"),
    )


def downgrade() -> None:
    op.drop_table("batch_row")
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_recipient_email"))
        batch_op.drop_index(batch_op.f("ix_award_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_award_achievement_slug"))

    op.drop_table("award")
    with op.batch_alter_table("issuer_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_key_issuer_id"))

    op.drop_table("issuer_key")
    with op.batch_alter_table("batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_issuer_id"))

    op.drop_table("batch")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_prefix"))
        batch_op.drop_index(batch_op.f("ix_api_key_issuer_id"))

    op.drop_table("api_key")
    with op.batch_alter_table("achievement", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_achievement_current",
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        )
        batch_op.drop_index(batch_op.f("ix_achievement_slug"))
        batch_op.drop_index(batch_op.f("ix_achievement_issuer_id"))

    op.drop_table("achievement")
    with op.batch_alter_table("issuer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issuer_slug"))

    op.drop_table("issuer")
    op.drop_table("instance")
