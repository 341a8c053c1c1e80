"""API tokens, service accounts and the calendar feed (issue 18, parts 3 and 4)."""
