"""Offers of support and the providers that deliver them (social-services partition)."""
