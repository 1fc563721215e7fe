"""Structured extraction from documents of any length: complete, valid and grounded JSON."""
