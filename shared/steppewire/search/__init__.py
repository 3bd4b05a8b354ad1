"""Article search: text analysis (terms, highlight spans, name folding) for the inverted index and the query path."""
