"""Alembic environment of the central store: runs on the connection the server passes."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
context.run_migrations()
