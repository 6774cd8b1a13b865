"""The vault's cryptography: master key parsing, key wrapping and the versioned token format.

Token: ``pdv1:<key id>:<base64url(nonce || ciphertext+tag)>``. The key id names the data key;
the additional authenticated data binds the ciphertext to its key id and subject, so a token
cannot be moved to another subject's key. Data keys are AES-256-GCM keys, wrapped by the
master key with AES-256-GCM (AAD = key id and subject).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from persondata.errors import InputError, PersondataError

VERSION = "pdv1"
KEY_ID_LEN = 22
PREFIX_LEN = len(VERSION) + 1 + KEY_ID_LEN + 1  # "pdv1:" + key id + ":"
NONCE_LEN = 12
_TOKEN = re.compile(r"^pdv1:([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]+={0,2})$")


class VaultError(PersondataError):
    """A vault operation failed: a malformed token, a wrong master key, a shredded key."""

    exit_code = 2
    http_status = 422


class MasterKeyError(InputError):
    """PERSONDATA_MASTER_KEY is missing or is not base64 of 32 bytes."""


class KeyShredded(VaultError):
    """The data key was destroyed: the ciphertext can never be decrypted again."""

    http_status = 410


def parse_master_key(value: str) -> bytes:
    """Decode the master key (base64 of 32 random bytes) or fail naming the variable."""
    if not value:
        raise MasterKeyError("PERSONDATA_MASTER_KEY is not set; the crypto-shredding vault needs it "
                             "(base64 of 32 random bytes, e.g. `openssl rand -base64 32`)")
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError("PERSONDATA_MASTER_KEY is not valid base64") from exc
    if len(raw) != 32:
        raise MasterKeyError(f"PERSONDATA_MASTER_KEY must decode to 32 bytes for AES-256, "
                             f"it decodes to {len(raw)}")
    return raw


def master_id(master: bytes) -> str:
    """A short fingerprint naming a master key (not secret-revealing)."""
    return hashlib.sha256(b"persondata-vault-master:" + master).hexdigest()[:16]


def new_key_id() -> str:
    """A fresh random key id (22 url-safe characters)."""
    return base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")


def _key_aad(key_id: str, subject: str) -> bytes:
    return f"pdv1-key:{key_id}:{subject}".encode()


def _data_aad(key_id: str, subject: str) -> bytes:
    return f"pdv1:{key_id}:{subject}".encode()


def wrap(master: bytes, key_id: str, subject: str, data_key: bytes) -> bytes:
    """Encrypt a data key under the master key: nonce || ciphertext+tag."""
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(master).encrypt(nonce, data_key, _key_aad(key_id, subject))


def unwrap(master: bytes, key_id: str, subject: str, wrapped: bytes) -> bytes:
    """Decrypt a wrapped data key; VaultError when the master key or the record is wrong."""
    try:
        return AESGCM(master).decrypt(wrapped[:NONCE_LEN], wrapped[NONCE_LEN:], _key_aad(key_id, subject))
    except InvalidTag as exc:
        raise VaultError(f"data key {key_id} does not open with this master key (wrong "
                         f"PERSONDATA_MASTER_KEY, or the key record was altered)") from exc


def seal(data_key: bytes, key_id: str, subject: str, plaintext: bytes) -> str:
    """Encrypt plaintext with a data key into a versioned token."""
    nonce = os.urandom(NONCE_LEN)
    body = nonce + AESGCM(data_key).encrypt(nonce, plaintext, _data_aad(key_id, subject))
    return f"{VERSION}:{key_id}:{base64.urlsafe_b64encode(body).decode()}"


def parse_token(token: str) -> tuple[str, bytes]:
    """Split a token into (key id, nonce || ciphertext); VaultError when it is not a vault token."""
    match = _TOKEN.match(token.strip()) if isinstance(token, str) else None
    if match is None:
        raise VaultError("not a persondata vault token (expected pdv1:<key id>:<data>)")
    try:
        body = base64.urlsafe_b64decode(match.group(2))
    except (binascii.Error, ValueError) as exc:
        raise VaultError("vault token data is not valid base64") from exc
    if len(body) < NONCE_LEN + 16:
        raise VaultError("vault token is too short to hold a ciphertext")
    return match.group(1), body


def open_token(data_key: bytes, key_id: str, subject: str, body: bytes) -> bytes:
    """Decrypt a token body with its data key; VaultError when it was altered."""
    try:
        return AESGCM(data_key).decrypt(body[:NONCE_LEN], body[NONCE_LEN:], _data_aad(key_id, subject))
    except InvalidTag as exc:
        raise VaultError(f"ciphertext under key {key_id} does not authenticate (altered, or "
                         f"bound to another subject)") from exc


def key_id_of(value: object) -> str | None:
    """The key id of a vault token, or None when the value is not one."""
    if isinstance(value, str) and len(value) > PREFIX_LEN and value.startswith("pdv1:") \
            and value[PREFIX_LEN - 1] == ":":
        return value[5:PREFIX_LEN - 1]
    return None
