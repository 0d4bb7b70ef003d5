"""Streamlit-only helpers shared by the pages (never imported by cvlib)."""
