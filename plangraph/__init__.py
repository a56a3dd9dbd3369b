"""plangraph: a knowledge graph of development plans, served as linked data."""

__version__ = "0.1.0"
