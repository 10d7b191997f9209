"""Use-cases with their rules and no UI: called by the CLI, the screens and the tests.

Each public service takes the open :class:`~asbtui.db.Store` and runs in its own short
session, so it is safe to call from a worker thread.
"""
