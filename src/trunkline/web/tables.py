"""Tables with sorting and pagination, the same on every page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


@dataclass(frozen=True)
class Column:
    field: str
    label: Any
    sortable: bool = True


@dataclass
class Table:
    columns: list[dict[str, Any]]
    page: Page
    ordering: str
    querystring: str


def table(
    request: HttpRequest, queryset: QuerySet[Any], columns: list[Column], *, default_ordering: str, page_size: int = 25
) -> Table:
    sortable = {column.field for column in columns if column.sortable}
    ordering = request.GET.get("sort", default_ordering)
    if ordering.lstrip("-") not in sortable:
        ordering = default_ordering
    queryset = queryset.order_by(ordering, "-pk")
    page = Paginator(queryset, page_size).get_page(request.GET.get("page"))
    heads = []
    for column in columns:
        descending_now = ordering == f"-{column.field}"
        heads.append(
            {
                "label": column.label,
                "field": column.field,
                "sortable": column.sortable,
                "sorted": "descending" if descending_now else "ascending" if ordering == column.field else "",
                "sort": column.field if descending_now else f"-{column.field}",
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return Table(columns=heads, page=page, ordering=ordering, querystring=query.urlencode())
