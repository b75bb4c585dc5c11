"""Migration scripts, one revision each, oldest first by their `down_revision` chain."""
