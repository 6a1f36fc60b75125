"""Achievement versions may be published in other languages

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 08:00:00.000000

``achievement.translations``: the version's Achievement documents in other languages, keyed by
language tag (OB 3.0 has no language map for strings; a translation is a related Achievement
at its own URL, which the signed document names in ``related``). Earlier versions have none:
``{}`` for every existing row, and the same default for new ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "achievement",
        sa.Column("translations", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): batch mode would copy and drop the
    # achievement table, which award rows reference, and SQLite's foreign keys refuse that.
    op.drop_column("achievement", "translations")
