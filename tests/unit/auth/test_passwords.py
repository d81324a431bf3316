"""Password hashing and the password policy."""

from __future__ import annotations

import pytest

from civicgrid.auth import passwords


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Passw0rdX", []),
        ("abcdefg1", []),
        ("12345678a", []),
        ("Ab1", ["密码至少需要 8 个字符"]),
        ("abcdefgh", ["密码必须包含数字"]),
        ("12345678", ["密码必须包含字母"]),
        ("", ["密码至少需要 8 个字符", "密码必须包含字母", "密码必须包含数字"]),
        (" abcdefg1", ["密码首尾不能是空格"]),
        ("a1" * 65, ["密码不能超过 128 个字符"]),
    ],
)
def test_password_policy(password: str, expected: list[str]) -> None:
    assert passwords.password_problems(password) == expected


def test_hash_then_verify() -> None:
    hashed = passwords.hash_password("Passw0rd!x")
    assert hashed.startswith("$argon2id$")
    assert "Passw0rd" not in hashed
    assert passwords.verify_password("Passw0rd!x", hashed)
    assert not passwords.verify_password("Passw0rd!y", hashed)


def test_same_password_hashes_differently_each_time() -> None:
    assert passwords.hash_password("Passw0rd!x") != passwords.hash_password("Passw0rd!x")


def test_corrupt_hash_never_verifies() -> None:
    assert not passwords.verify_password("Passw0rd!x", "not-a-hash")
    assert passwords.needs_rehash("not-a-hash")


def test_dummy_verification_always_fails() -> None:
    assert passwords.verify_dummy("Passw0rd!x") is False
    assert passwords.verify_dummy("") is False


def test_fresh_hash_needs_no_rehash() -> None:
    assert not passwords.needs_rehash(passwords.hash_password("Passw0rd!x"))
