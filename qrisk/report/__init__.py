"""Renderers: pure functions from results to text (only the CLI writes files)."""
