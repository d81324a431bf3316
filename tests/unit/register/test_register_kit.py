"""The field cipher (Fernet + keyed hash), the spreadsheet reader/writer and patrol arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from civicgrid.kit import spreadsheet
from civicgrid.kit.crypto import DecryptionError, FieldCipher
from civicgrid.register import patrol
from civicgrid.register.rows import ALIASES, HEADERS

KEY = Fernet.generate_key().decode()


def test_encryption_round_trips_and_is_randomised() -> None:
    c = FieldCipher(KEY)
    a, b = c.encrypt("110105194912310021"), c.encrypt("110105194912310021")
    assert a != b
    assert "110105" not in a
    assert c.decrypt(a) == "110105194912310021"
    assert c.encrypt_many(["x", "y"])[0] != "x"


def test_keyed_hash_is_stable_and_depends_on_the_key() -> None:
    c, other = FieldCipher(KEY), FieldCipher(Fernet.generate_key().decode())
    assert c.keyed_hash("13812345678") == c.keyed_hash("13812345678")
    assert len(c.keyed_hash("13812345678")) == 64
    assert c.keyed_hash("13812345678") != other.keyed_hash("13812345678")
    assert c.keyed_hash_many(["a"]) == [c.keyed_hash("a")]


def test_a_token_from_another_key_cannot_be_decrypted() -> None:
    token = FieldCipher(KEY).encrypt("secret")
    with pytest.raises(DecryptionError):
        FieldCipher(Fernet.generate_key().decode()).decrypt(token)


def test_a_bad_key_is_refused() -> None:
    with pytest.raises(ValueError, match="Fernet"):
        FieldCipher("not-a-key")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheets_round_trip_with_header_aliases(fmt: str) -> None:
    rows = [["张三", "11010519491231002X"] + [""] * (len(HEADERS) - 2)]
    data = (
        spreadsheet.write_csv(HEADERS, rows)
        if fmt == "csv"
        else spreadsheet.write_xlsx(HEADERS, rows, "人房")
    )
    table = spreadsheet.read_table(data, fmt, ALIASES)
    assert table.rows[0]["name"] == "张三"
    assert table.rows[0]["id_no"] == "11010519491231002X"
    assert table.row_numbers == [2]


def test_gb18030_csv_with_alias_headers_and_unknown_columns() -> None:
    data = "公民身份号码,姓名,备注\r\n11010519491231002X,李四,x\r\n\r\n".encode("gb18030")
    table = spreadsheet.read_table(data, "csv", ALIASES)
    assert table.fields == ("id_no", "name")
    assert table.unknown_headers == ("备注",)
    assert table.rows == [{"id_no": "11010519491231002X", "name": "李四"}]


def test_unknown_formats_and_empty_files_are_refused() -> None:
    with pytest.raises(spreadsheet.SpreadsheetError):
        spreadsheet.detect_format("people.pdf")
    with pytest.raises(spreadsheet.SpreadsheetError):
        spreadsheet.read_table(b"", "csv", ALIASES)


def test_patrol_length_and_checks() -> None:
    t0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    pts = [
        patrol.GpsPoint(t0, 116.40, 39.90),
        patrol.GpsPoint(t0 + timedelta(minutes=5), 116.41, 39.90),
    ]
    assert patrol.track_problem(pts) is None
    assert 850 < patrol.track_length_m(pts) < 860
    assert patrol.track_problem(pts[:1]) is not None
    assert patrol.track_problem(list(reversed(pts))) is not None
