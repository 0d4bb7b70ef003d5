"""The Segment page, one module per group of views (pages/segment.py dispatches)."""
