"""Standard Webhooks signing: the specification's published example, rotation headers,
tolerance, and refusal of malformed secrets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from civicgrid.events.signing import (
    InvalidSecret,
    secret_from_bytes,
    secret_key,
    sign,
    signature_header,
    verify,
)

# The example of the Standard Webhooks specification's reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_specification_example_signs_to_its_published_signature() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == SPEC_SIGNATURE


def test_verification_accepts_the_example_within_five_minutes_only() -> None:
    assert verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, SPEC_SIGNATURE, now=SPEC_TS + 300)
    assert not verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, SPEC_SIGNATURE, now=SPEC_TS + 301)
    assert not verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, SPEC_SIGNATURE, now=SPEC_TS - 301)


def test_a_changed_body_id_or_timestamp_fails_verification() -> None:
    now = SPEC_TS
    assert not verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY + b" ", SPEC_SIGNATURE, now=now)
    assert not verify(SPEC_SECRET, "msg_other", SPEC_TS, SPEC_BODY, SPEC_SIGNATURE, now=now)
    assert not verify(SPEC_SECRET, SPEC_ID, SPEC_TS + 1, SPEC_BODY, SPEC_SIGNATURE, now=now)


@given(old=st.binary(min_size=24, max_size=64), new=st.binary(min_size=24, max_size=64))
def test_a_rotation_header_verifies_with_either_secret(old: bytes, new: bytes) -> None:
    secrets = [secret_from_bytes(new), secret_from_bytes(old)]
    header = signature_header(secrets, SPEC_ID, SPEC_TS, SPEC_BODY)
    assert len(header.split(" ")) == 2
    for secret in secrets:
        assert verify(secret, SPEC_ID, SPEC_TS, SPEC_BODY, header, now=SPEC_TS)


@given(raw=st.binary(min_size=24, max_size=64))
def test_a_secret_round_trips_to_its_key(raw: bytes) -> None:
    text = secret_from_bytes(raw)
    assert text.startswith("whsec_")
    assert secret_key(text) == raw


@pytest.mark.parametrize(
    "bad", ["", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!!not base64!!!", "whsec_c2hvcnQ="]
)
def test_malformed_secrets_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSecret):
        sign(bad, SPEC_ID, SPEC_TS, SPEC_BODY)


def test_too_few_random_bytes_make_no_secret() -> None:
    with pytest.raises(InvalidSecret):
        secret_from_bytes(b"x" * 23)


def test_a_message_without_secrets_cannot_be_signed() -> None:
    with pytest.raises(InvalidSecret):
        signature_header([], SPEC_ID, SPEC_TS, SPEC_BODY)
