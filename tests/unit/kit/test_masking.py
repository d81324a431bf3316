import pytest

from civicgrid.kit.masking import mask_id_number, mask_name, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110105199001011234", "110105********1234"),
        ("11010519900101123X", "110105********123X"),
        ("", ""),
        (None, ""),
        ("12345", "*****"),
    ],
)
def test_id_numbers_keep_the_first_six_and_last_four(value: str | None, masked: str) -> None:
    assert mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"), [("13812345678", "138****5678"), ("", ""), ("12345", "*****")]
)
def test_phones_keep_the_first_three_and_last_four(value: str, masked: str) -> None:
    assert mask_phone(value) == masked


def test_names_keep_the_family_name() -> None:
    assert mask_name("张三丰") == "张**"
