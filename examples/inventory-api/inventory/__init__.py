"""Stock levels and reorder rules for the warehouse service."""

from inventory.stock import Item, Stock

__all__ = ["Item", "Stock"]
