"""Where a household's progress lives: the port, and one adapter per backing store."""
