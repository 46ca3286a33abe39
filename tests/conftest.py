"""Fixtures shared by every test suite.

This directory is on ``sys.path`` while testing (pytest puts a root ``conftest.py``'s directory there), so
shared factories such as ``registry_factories`` are imported by name from any test.
"""
