"""Incidents (police partition): what happened, to whom, and their review."""
