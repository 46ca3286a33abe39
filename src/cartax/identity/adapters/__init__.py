"""Adapters of the identity context: argon2, pyotp, OpenID Connect (authlib), storage, web routes."""
