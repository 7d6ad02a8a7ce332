"""hashes commands (the data-types issue builds them)."""
