"""Seal short secrets (a verification code) for the outbox: encrypted at rest, wiped once sent."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken

from persondata.errors import InputError, SystemFailure


def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise InputError("PERSONDATA_SECRET_KEY is not set; it seals codes waiting in the outbox")
    digest = hashlib.sha256(b"persondata-outbox:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(values: dict[str, str], secret_key: str) -> str:
    """Encrypt a small dict of secret template values."""
    return _fernet(secret_key).encrypt(json.dumps(values).encode()).decode()


def unseal(token: str, secret_key: str) -> dict[str, str]:
    """Decrypt what seal() produced; fails clearly when the key changed."""
    try:
        data = _fernet(secret_key).decrypt(token.encode())
    except InvalidToken as exc:
        raise SystemFailure("cannot unseal an outbox secret: PERSONDATA_SECRET_KEY changed") from exc
    values = json.loads(data)
    assert isinstance(values, dict)
    return {str(k): str(v) for k, v in values.items()}
