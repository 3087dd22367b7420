"""Control-table revisions, oldest first."""
