"""Sign-in through the organisation's identity provider (OpenID Connect)."""
