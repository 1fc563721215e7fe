"""Turn the bytes of every accepted format into a core.Document.

``parse_isolated`` is what a server calls (a child process with limits); ``parse_path`` parses in
the calling process; ``sniff`` names a file's format from its bytes.
"""

from longdoc.parsing.isolation import parse_isolated
from longdoc.parsing.pipeline import parse_path

__all__ = ["parse_isolated", "parse_path"]
