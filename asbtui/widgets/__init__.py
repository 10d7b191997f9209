"""Reusable widgets: the case table, badges, choice lists and the form frame."""
