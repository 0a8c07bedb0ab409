"""The rules engine: decides cases against a checked policy (see engine.decide)."""
