"""Sortable lists (gvi/core/sorting.py) and the pager's numbers and links
(gvi/core/paging.py): pure, no database."""

from __future__ import annotations

from typing import Any

import pytest

from gvi.core.paging import list_url, page_window
from gvi.core.sorting import Sort, Sorts


class Query:
    """Records order_by calls as a query builder would apply them."""

    def __init__(self, orders: tuple[tuple[str, bool], ...] = ()) -> None:
        self.orders = orders

    def order_by(self, *columns: Any, ascending: bool = True) -> Query:
        return Query(self.orders + tuple((c, ascending) for c in columns))


SORTS = Sorts("-when", when="occurred_at", place=("municipality", "area"), kind="kind")


def test_a_known_key_sorts_ascending_and_a_minus_descending() -> None:
    assert SORTS.parse("kind") == Sort("kind", descending=False)
    assert SORTS.parse("-kind") == Sort("kind", descending=True)
    assert SORTS.parse(" -kind ").param == "-kind"


@pytest.mark.parametrize("typed", ["", None, "bogus", "-", "--when", "id", "occurred_at"])
def test_anything_else_falls_back_to_the_default(typed: str | None) -> None:
    assert SORTS.parse(typed) == Sort("when", descending=True)


def test_columns_in_turn_then_the_id_the_same_way() -> None:
    assert SORTS.apply(Query(), "place", tiebreak="id").orders == (
        ("municipality", True),
        ("area", True),
        ("id", True),
    )
    assert SORTS.apply(Query(), "", tiebreak="id").orders == (
        ("occurred_at", False),
        ("id", False),
    )


def test_a_default_that_is_not_offered_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="default sort"):
        Sorts("name", when="occurred_at")


def test_the_pager_shows_the_ends_and_the_neighbourhood() -> None:
    assert page_window(1, 1) == [1]
    assert page_window(1, 4) == [1, 2, 3, 4]
    assert page_window(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert page_window(20, 20) == [1, None, 18, 19, 20]
    assert page_window(4, 20) == [1, 2, 3, 4, 5, 6, None, 20]


def test_list_links_carry_what_was_chosen_and_nothing_empty() -> None:
    params = {"q": "", "kind": "shooting", "sort": "-when", "municipality": None}
    assert list_url("/incidents", params, page=3) == "/incidents?kind=shooting&sort=-when&page=3"
    assert list_url("/incidents", params, page=1) == "/incidents?kind=shooting&sort=-when"
    assert list_url("/incidents", {}, page=1) == "/incidents"
    assert list_url("/groups", {"q": "Öst & väst"}) == "/groups?q=%C3%96st+%26+v%C3%A4st"
