"""Outreach and reach: the log of information and contact activities (no
identities) and the reach funnel built on it (README: Outreach and reach)."""
