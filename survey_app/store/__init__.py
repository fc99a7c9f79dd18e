"""The only code that speaks SQL: connection, migrations, records, tallies, summaries."""
