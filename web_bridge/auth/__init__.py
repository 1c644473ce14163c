"""Operators' accounts and access: argon2 passwords, short-lived JWTs, three roles."""
