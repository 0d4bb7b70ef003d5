"""The Learn page, one module per section (pages/learn.py dispatches to them)."""
