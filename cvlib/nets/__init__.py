"""Architectures as code. A shipped model is one of these builders + a weights file."""
