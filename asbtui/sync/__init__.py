"""The device side of sync: the outbox, enrolment, push and pull (see engine.py)."""
