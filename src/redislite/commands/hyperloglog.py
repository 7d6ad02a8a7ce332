"""hyperloglog commands (the data-types issue builds them)."""
