"""People: a pseudonymous code for everyday work, identity kept apart and encrypted."""
