"""Domain types, errors and ids. Imports nothing else of longdoc."""
