"""The only code that speaks SQL: one module per kind of record, with connection and migrations."""
