"""OAuth 2.0: registered clients, authorization codes, access and refresh tokens

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 10:00:00.000000

Three new tables (:mod:`issuer.models.oauth`); nothing existing changes. Client secrets, codes
and tokens are kept as SHA-256 digests only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STR = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", _STR(length=64), nullable=False),
        sa.Column("secret_hash", _STR(length=64), nullable=False),
        sa.Column("client_name", _STR(length=200), nullable=False),
        sa.Column("client_uri", _STR(length=2000), nullable=False),
        sa.Column("logo_uri", _STR(length=2000), nullable=False),
        sa.Column("tos_uri", _STR(length=2000), nullable=False),
        sa.Column("policy_uri", _STR(length=2000), nullable=False),
        sa.Column("software_id", _STR(length=200), nullable=False),
        sa.Column("software_version", _STR(length=100), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scope", _STR(length=1000), nullable=False),
        sa.Column("grant_types", sa.JSON(), nullable=False),
        sa.Column("response_types", sa.JSON(), nullable=False),
        sa.Column("token_endpoint_auth_method", _STR(length=40), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )

    op.create_table(
        "oauth_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", _STR(length=64), nullable=False),
        sa.Column("client_id", _STR(length=64), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", _STR(length=2000), nullable=False),
        sa.Column("scope", _STR(length=1000), nullable=False),
        sa.Column("code_challenge", _STR(length=128), nullable=False),
        sa.Column("code_challenge_method", _STR(length=10), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.client_id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oauth_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_code_code_hash"), ["code_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_oauth_code_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_code_learner_id"), ["learner_id"], unique=False)

    op.create_table(
        "oauth_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", _STR(length=64), nullable=False),
        sa.Column("refresh_token_hash", _STR(length=64), nullable=True),
        sa.Column("client_id", _STR(length=64), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("scope", _STR(length=1000), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oauth_client.client_id"]),
        sa.ForeignKeyConstraint(["learner_id"], ["learner.id"]),
        sa.ForeignKeyConstraint(["code_id"], ["oauth_code.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_token_access_token_hash"), ["access_token_hash"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_oauth_token_refresh_token_hash"), ["refresh_token_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_oauth_token_client_id"), ["client_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_token_learner_id"), ["learner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oauth_token_code_id"), ["code_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_token_code_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_token_learner_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_token_client_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_token_refresh_token_hash"))
        batch_op.drop_index(batch_op.f("ix_oauth_token_access_token_hash"))
    op.drop_table("oauth_token")
    with op.batch_alter_table("oauth_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_code_learner_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_code_client_id"))
        batch_op.drop_index(batch_op.f("ix_oauth_code_code_hash"))
    op.drop_table("oauth_code")
    op.drop_table("oauth_client")
