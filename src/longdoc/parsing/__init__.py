"""Turn the bytes of every accepted format into a core.Document."""
