"""Dense (semantic) search: the embedder, the background indexer, and hybrid search with the lexical
ranker (``search``). Vectors live in the stores (``storage.vectors``)."""
