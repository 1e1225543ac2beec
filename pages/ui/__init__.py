"""Helpers for the page scripts, one job per module. This folder is not a page folder:
Streamlit's page handling only looks at pages/*.py."""
