"""User accounts, roles, second factor and the municipalities a user may see."""
