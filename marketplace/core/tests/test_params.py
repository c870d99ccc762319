import pytest

from marketplace.core.params import ascii_int, parse_id


@pytest.mark.parametrize("text, expected", [
    ("1", 1), ("42", 42), ("007", 7), (12, 12), ("999999999999999999", 10**18 - 1),
])
def test_ascii_digits_are_ids(text, expected):
    assert parse_id(text) == expected


@pytest.mark.parametrize("text", [
    "²", "1²", "١", "١٢", "۴", "५", "𝟙", "①", "１２", "¾", "", " 1", "1 ", "-1", "+1", "1.0", "0x1", "1e3", "0", "000",
    "9" * 19, "9" * 5000, "1\x00", None, True, [], "NaN",
])
def test_anything_else_is_no_id(text):
    assert parse_id(text) is None


def test_zero_is_a_number_but_not_an_id():
    assert ascii_int("0") == 0
    assert parse_id("0") is None
