"""Idempotency compares the whole request (brief, uploaded files, webhook URL), not the brief.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("request_sha256", sa.String(64), nullable=True))
    # campaigns made before this revision were keyed on their brief alone
    op.execute("UPDATE campaigns SET request_sha256 = brief_sha256")
    with op.batch_alter_table("campaigns") as batch:
        batch.alter_column("request_sha256", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("request_sha256")
