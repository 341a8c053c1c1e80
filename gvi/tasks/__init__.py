"""Tasks per user and unit: notifications to do, outreach after a call-in, follow-ups."""
