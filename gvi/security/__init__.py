"""Security mechanisms shared by every domain: encryption, sessions, CSRF, headers."""
