"""Call-in meetings, their speakers, promises and invitations, and custom notifications."""
