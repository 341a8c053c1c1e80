"""Enforcement follow-through (police partition): actions that keep call-in promises."""
