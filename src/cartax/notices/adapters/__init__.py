"""Adapters of the notices context: the issued-documents table and store, the Typst typesetter, the QR
codes, the streaming PDF concatenation and the facts source over the cases and registry contexts."""
