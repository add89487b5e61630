"""Stock valuation and bulk discounts."""

from inventory.stock import Stock


def unit_price(base: float, quantity: int) -> float:
    if quantity >= 100:
        return round(base * 0.85, 2)
    if quantity >= 10:
        return round(base * 0.95, 2)
    return base


def stock_value(stock: Stock, prices: dict[str, float]) -> float:
    total = 0.0
    for item in stock.to_reorder():
        total += prices.get(item.sku, 0.0) * item.quantity
    return round(total, 2)


def price_list(prices: dict[str, float], currency: str = "EUR") -> list[str]:
    # Untested: only the nightly export uses it.
    lines = []
    for sku in sorted(prices):
        lines.append(f"{sku}\t{prices[sku]:.2f} {currency}")
    return lines
