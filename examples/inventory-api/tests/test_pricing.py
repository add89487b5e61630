from inventory.pricing import stock_value, unit_price
from inventory.stock import Stock


def test_unit_price_tiers() -> None:
    assert unit_price(10.0, 1) == 10.0
    assert unit_price(10.0, 10) == 9.5
    assert unit_price(10.0, 100) == 8.5


def test_stock_value_counts_items_to_reorder() -> None:
    stock = Stock()
    stock.add("A-1", "bolt", 2)
    assert stock_value(stock, {"A-1": 1.5}) == 3.0
