"""longdoc: a self-hosted document intelligence service speaking the Qwen-Long and Qwen-Doc-Turbo APIs."""

__version__ = "0.1.0"
