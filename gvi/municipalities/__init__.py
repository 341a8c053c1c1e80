"""Municipalities and the units (social services, police, joint defector units) in them."""
