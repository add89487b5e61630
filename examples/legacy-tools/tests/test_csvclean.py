from legacy_tools.csvclean import clean_cell, clean_row, parse_amount


def test_clean_cell_blanks_placeholders():
    assert clean_cell(" N/A ") == ""
    assert clean_cell(" 42 ") == "42"


def test_clean_row():
    assert clean_row([" a", "NULL", "b "]) == ["a", "", "b"]


def test_parse_amount_with_decimal_comma():
    assert parse_amount("1.234,50") == 1234.5
