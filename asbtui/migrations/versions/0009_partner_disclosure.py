"""Per-person disclosure to partners: a person can be withheld; a share names its people.

``party.withheld``: a reporter or witness who is anonymous, or anyone marked "do not
disclose to partners", never reaches a partner. ``caseshare.people``: the people a share
discloses, chosen by the officer; empty means the default (victims and perpetrators),
which is what shares made before this revision disclose.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("party", sa.Column("withheld", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("caseshare", sa.Column("people", sa.String(), nullable=False,
                                         server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("caseshare") as batch:
        batch.drop_column("people")
    with op.batch_alter_table("party") as batch:
        batch.drop_column("withheld")
