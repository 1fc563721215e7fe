"""Batches: the state machine, input validation, and the job that answers the lines."""
