"""Password hashing (argon2id via argon2-cffi) and the password policy.

Nothing else in the code base touches password hashes. Pure apart from the CPU work of hashing:
no database, no clock.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import CHEAPEST

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
MIN_CHARACTER_CLASSES = 3

PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,
    parallelism=1,
)
"""argon2id with 19 MiB, 2 passes, 1 lane: the OWASP Password Storage Cheat Sheet's minimum
setting (≈ 25 ms of one core here). Hashes stored with other parameters (RFC 9106's 64 MiB /
t=3 / p=4 before December 2026, or the demo's cheapest ones) still verify, and are replaced with
these at the user's next successful login (:func:`needs_rehash`). Why this setting:
docs/decisions/0006-password-hashing.md."""

_hasher = PasswordHasher.from_parameters(PARAMETERS)

# A hash of a random password, verified when the username is unknown, so that a failed login
# takes the same time whether or not the account exists (no user enumeration by timing).
_dummy_hash = _hasher.hash("civicgrid-dummy-password-0")


def use_parameters(parameters: Parameters) -> None:
    """Hash (and judge ``needs_rehash``) with ``parameters`` from now on, in this process. For
    tests and benchmarks (the served app always uses :data:`PARAMETERS`)."""
    global _hasher, _dummy_hash  # noqa: PLW0603 - one process-wide hasher by design
    _hasher = PasswordHasher.from_parameters(parameters)
    _dummy_hash = _hasher.hash("civicgrid-dummy-password-0")


def use_cheap_parameters_for_tests() -> None:
    """Switch to argon2's cheapest parameters. For test suites only: it keeps the algorithm and
    the code path but makes each hash take microseconds instead of ~25 ms."""
    use_parameters(CHEAPEST)


def hash_password(password: str) -> str:
    """An argon2id hash (with its salt and parameters) for storage."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches the stored ``password_hash``; False for a corrupt hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_dummy(password: str) -> bool:
    """Spend the time of a real verification for an unknown user; always False."""
    verify_password(password, _dummy_hash)
    return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def character_classes(password: str) -> int:
    """How many of the four classes (lower-case letters, upper-case letters, digits, other
    characters) the password uses."""
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)
    return sum((lower, upper, digit, other))


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (``common_passwords.csv``, one column with a
    header; its sources are named in docs/domain/auth.md), lower-cased."""
    text = resources.files("civicgrid.auth").joinpath("common_passwords.csv").read_text("utf-8")
    rows = csv.reader(io.StringIO(text))
    next(rows)
    return frozenset(row[0].strip().lower() for row in rows if row and row[0].strip())


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Why a new password breaks the policy (等保 2.0 身份鉴别: complexity); empty when it is
    acceptable. At least 10 characters from three of the four classes (lower case, upper case,
    digits, other characters), not the username (nor containing it), not a common password.
    The rule applies to passwords being set; stored ones are not re-checked."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"密码不能超过 {MAX_PASSWORD_LENGTH} 个字符")
    if character_classes(password) < MIN_CHARACTER_CLASSES:
        problems.append("密码须包含小写字母、大写字母、数字、其他符号中的至少三类")
    if password != password.strip():
        problems.append("密码首尾不能是空格")
    name = username.strip().lower()
    if name and (name == password.lower() or (len(name) >= 4 and name in password.lower())):
        problems.append("密码不能包含用户名")
    if password.lower() in common_passwords():
        problems.append("密码过于常见，请换一个")
    return problems
