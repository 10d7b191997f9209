"""The central sync service: PostgreSQL is the system of record, devices reach it over HTTP.

Devices hold a device key, never database credentials. This package never imports the
device's SQLite store (``asbtui.db``) nor the TUI (import-linter checks both).
"""
