"""Organisation: units, the municipalities they serve, and the users in them."""
