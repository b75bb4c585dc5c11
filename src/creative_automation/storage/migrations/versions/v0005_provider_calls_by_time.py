"""Provider calls indexed by time: the agent (every few seconds) and /v1/providers read a
window of them, which was a scan of every call ever recorded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_provider_calls_created_at"), "provider_calls", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_provider_calls_created_at"), table_name="provider_calls")
