import pytest

from inventory.stock import OutOfStock, Stock


def test_add_new_and_existing_item() -> None:
    stock = Stock()
    stock.add("A-1", "bolt", 3)
    item = stock.add("A-1", "bolt", 4)
    assert item.quantity == 7
    assert stock.total_units() == 7


def test_add_refuses_negative_quantity() -> None:
    with pytest.raises(ValueError):
        Stock().add("A-1", "bolt", -1)


def test_remove_and_out_of_stock() -> None:
    stock = Stock()
    stock.add("B-2", "nut", 10)
    assert stock.remove("B-2", 4).quantity == 6
    with pytest.raises(OutOfStock):
        stock.remove("B-2", 7)


def test_to_reorder() -> None:
    stock = Stock()
    stock.add("A-1", "bolt", 2)
    stock.add("B-2", "nut", 50)
    assert [i.sku for i in stock.to_reorder()] == ["A-1"]
