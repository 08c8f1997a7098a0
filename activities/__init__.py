"""Activities: everything with side effects or external data (calendar, policy files, database)."""
