"""All SQL lives here. Services call repositories; nothing above db/ builds statements."""
