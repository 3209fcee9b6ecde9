"""Text analysis: language detection, per-language analysis for each engine, entity tagging."""
