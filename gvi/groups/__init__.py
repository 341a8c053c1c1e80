"""Criminal groups, their aliases, memberships and relations (the group network's records)."""
