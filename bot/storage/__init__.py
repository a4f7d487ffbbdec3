"""Database access: engine, migrations and the tables opsbot itself owns."""
