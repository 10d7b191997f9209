"""Alembic environment: migrations run on the connection that open_store passes."""

from alembic import context

from asbtui.models import every_table

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=every_table(),
    render_as_batch=True,  # SQLite alters tables by copying them
)
# open_store runs the migrations inside its own BEGIN IMMEDIATE transaction, so that the
# backup, the version check and the upgrade happen under one write lock.
context.run_migrations()
