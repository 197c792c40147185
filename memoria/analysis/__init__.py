"""Analyses of an organization's lists: record linkage with a human review queue."""
