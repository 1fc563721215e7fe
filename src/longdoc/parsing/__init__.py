"""Turn the bytes of every accepted format into a core.Document.

``parse_isolated`` parses in a child process with limits (``isolation.isolated_parse`` lets a layer
above run more work on the Document in that child, as the parse job does); ``parse_path`` parses
in the calling process; ``sniff`` names a file's format from its bytes.
"""

from longdoc.parsing.isolation import parse_isolated
from longdoc.parsing.pipeline import parse_path

__all__ = ["parse_isolated", "parse_path"]
