"""Shared pieces every domain package uses: column mixins, health checks, helpers."""
