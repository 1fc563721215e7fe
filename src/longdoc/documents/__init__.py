"""The document library: uploaded files, their parse jobs, and their parsed form."""
