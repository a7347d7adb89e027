"""kefu-kb: knowledge graph and semantic search for e-commerce customer service."""

__version__ = "0.1.0"
