"""Alembic environment: migrations run on the connection that :func:`asbtui.db.open_store` passes."""

from alembic import context

from asbtui.models import SQLModel

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
