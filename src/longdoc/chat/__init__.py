"""Answering over documents: a conversation whose system messages carry documents, answered by a
model from the catalog, with usage counted as the services bill it."""
