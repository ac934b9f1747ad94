"""Backup encryption: AES-256-GCM from the `cryptography` package, in chunks, streamed.

A backup can be larger than memory, and one GCM message must be held whole to be
checked, so the file is a sequence of chunks of at most 1 MiB, each sealed on its own
(the STREAM construction): the 12-byte nonce is a random 7-byte prefix for the file, a
4-byte chunk counter and a last-chunk flag. Reordering, dropping or appending chunks,
or cutting the file short, fails to decrypt, as does a wrong key.

    file  = MAGIC (8 bytes) | prefix (7) | chunk…
    chunk = length of the sealed chunk (4, big-endian) | AES-GCM(key, nonce, data, MAGIC+prefix)

The key is 32 random bytes, given as urlsafe base64 (`new_key()`; env ZHENXING_BACKUP_KEY).
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import secrets
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"ZXBKAES1"
CHUNK = 1024 * 1024
_PREFIX = 7
_TAG = 16


class BackupCryptoError(ValueError):
    """The key is missing, malformed or not the one the backup was made with."""


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def parse_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise BackupCryptoError("备份密钥格式不对（应为 32 字节的 urlsafe base64）") from exc
    if len(key) != 32:
        raise BackupCryptoError("备份密钥格式不对（应为 32 字节的 urlsafe base64）")
    return key


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class EncryptingWriter(io.RawIOBase):
    """Write plaintext; encrypted chunks go to `out`. `close()` seals the last chunk."""

    def __init__(self, out: BinaryIO, key: bytes) -> None:
        self._out = out
        self._aead = AESGCM(key)
        self._prefix = os.urandom(_PREFIX)
        self._header = MAGIC + self._prefix
        self._buffer = bytearray()
        self._counter = 0
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._buffer += data
        # keep at least one byte back, so that the last chunk is never empty-and-unsealed
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, data: bytes, *, last: bool) -> None:
        if self._counter == 0xFFFFFFFF:
            raise ValueError("backup too large for one encrypted stream")
        sealed = self._aead.encrypt(_nonce(self._prefix, self._counter, last), data, self._header)
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._out.flush()
        super().close()


class DecryptingReader(io.RawIOBase):
    """Read the plaintext of an encrypted backup from `source`, chunk by chunk."""

    def __init__(self, source: BinaryIO, key: bytes) -> None:
        header = source.read(len(MAGIC) + _PREFIX)
        if header[: len(MAGIC)] != MAGIC or len(header) != len(MAGIC) + _PREFIX:
            raise BackupCryptoError("不是加密的备份文件")
        self._source = source
        self._aead = AESGCM(key)
        self._header = header
        self._prefix = header[len(MAGIC) :]
        self._counter = 0
        self._buffer = b""
        self._offset = 0  # how much of the buffer has been read
        self._done = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        size_bytes = self._source.read(4)
        if len(size_bytes) != 4:
            raise BackupCryptoError("加密备份不完整（文件被截断）")
        (size,) = struct.unpack(">I", size_bytes)
        sealed = self._source.read(size)
        if len(sealed) != size or size < _TAG:
            raise BackupCryptoError("加密备份不完整（文件被截断）")
        for last in (False, True):
            try:
                data = self._aead.decrypt(
                    _nonce(self._prefix, self._counter, last), sealed, self._header
                )
            except InvalidTag:
                continue
            self._counter += 1
            self._buffer, self._offset = data, 0
            if last:
                if self._source.read(1):
                    raise BackupCryptoError("加密备份的末尾有多余的数据")
                self._done = True
            return
        raise BackupCryptoError("无法解密备份：密钥不对，或文件已损坏")

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while self._offset >= len(self._buffer) and not self._done:
            self._next_chunk()
        n = min(len(target), len(self._buffer) - self._offset)
        target[:n] = self._buffer[self._offset : self._offset + n]
        self._offset += n
        return n


def is_encrypted(head: bytes) -> bool:
    return head.startswith(MAGIC)
