"""The hub's store: governments' forwarded visits and follow-ups, on SQLite or PostgreSQL.

The only SQL of hub mode. Every function takes a `HubDB` (backend.py) and
runs unchanged on both databases: standard SQL, `?` placeholders, upserts
with ON CONFLICT (SQLite 3.24+, PostgreSQL 9.5+).
"""
