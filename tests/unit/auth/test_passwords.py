"""Password hashing and the password policy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, Type
from argon2.profiles import RFC_9106_LOW_MEMORY

from civicgrid.auth import passwords

_CLASSES = "密码须包含小写字母、大写字母、数字、其他符号中的至少三类"


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Passw0rdXy", []),
        ("lower-case-9", []),
        ("UPPER lower x", []),
        ("Ab1!", ["密码至少需要 10 个字符"]),
        ("abcdefghij1", [_CLASSES]),
        ("ABCDEFGHIJ!", [_CLASSES]),
        ("", ["密码至少需要 10 个字符", _CLASSES]),
        (" Abcdefg12", ["密码首尾不能是空格"]),
        ("Aa1!" * 33, ["密码不能超过 128 个字符"]),
        ("Password@123", ["密码过于常见，请换一个"]),
        ("P@SSW0RD123", ["密码过于常见，请换一个"]),
    ],
)
def test_password_policy(password: str, expected: list[str]) -> None:
    assert passwords.password_problems(password) == expected


@pytest.mark.parametrize(
    ("username", "password", "refused"),
    [
        ("Zhang.San9", "zhang.san9", True),
        ("zhangsan", "My-zhangsan-2026", True),
        ("li", "Li-Lei-2026!", False),
        ("wangwu", "Another-Pass-77", False),
    ],
)
def test_password_may_not_be_or_contain_the_username(
    username: str, password: str, refused: bool
) -> None:
    problems = passwords.password_problems(password, username=username)
    assert ("密码不能包含用户名" in problems) is refused


def test_character_classes_count_the_four_kinds() -> None:
    assert passwords.character_classes("abc") == 1
    assert passwords.character_classes("aB") == 2
    assert passwords.character_classes("aB3") == 3
    assert passwords.character_classes("aB3 ") == 4
    assert passwords.character_classes("密码Ab1") == 4


def test_the_common_password_list_is_shipped_and_lower_case() -> None:
    common = passwords.common_passwords()
    assert len(common) > 100
    assert "123456" in common
    assert "p@ssw0rd" in common
    assert all(p == p.lower() for p in common)
    assert "password" in common  # a data row, not only the header


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


@pytest.fixture
def served_parameters() -> Iterator[None]:
    """The parameters the app hashes with (the suite runs with argon2's cheapest)."""
    passwords.use_parameters(passwords.PARAMETERS)
    try:
        yield
    finally:
        passwords.use_cheap_parameters_for_tests()


def test_the_served_parameters_are_the_owasp_argon2id_minimum() -> None:
    """docs/security/password-hashing.md: m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat
    Sheet), no lighter."""
    p = passwords.PARAMETERS
    assert (p.type, p.memory_cost, p.time_cost, p.parallelism) == (Type.ID, 19456, 2, 1)
    assert (p.salt_len, p.hash_len) >= (16, 32)


def test_hashes_of_earlier_parameters_verify_and_are_due_for_a_rehash(
    served_parameters: None,
) -> None:
    earlier = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash("Passw0rd!x")
    assert passwords.verify_password("Passw0rd!x", earlier)
    assert passwords.needs_rehash(earlier)
    current = passwords.hash_password("Passw0rd!x")
    assert current.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not passwords.needs_rehash(current)
