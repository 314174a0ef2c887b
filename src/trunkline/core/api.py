"""What every API router shares: the error shape, one pagination and ordering style, and their schemas."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field

from trunkline.core.context import RequestContext
from trunkline.core.errors import AuthenticationRequiredError, DomainError, NotFoundError, ValidationFailedError

MAX_PAGE_SIZE = 200


class ErrorOut(Schema):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Not found."])
    detail: dict[str, Any] = Field(default_factory=dict)


class PageIn(Schema):
    page: int = Field(1, ge=1, description="1-based page number.")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    ordering: str | None = Field(None, description="A field name; prefix with - for descending.")


class Page[T](Schema):
    items: list[T]
    count: int
    page: int
    page_size: int
    pages: int


def paginate(queryset: QuerySet[Any], params: PageIn, *, orderings: tuple[str, ...] = ()) -> dict[str, Any]:
    """One page of ``queryset`` in the one style every list endpoint uses."""
    if params.ordering:
        if params.ordering not in orderings:
            allowed = ", ".join(orderings) or "none"
            raise ValidationFailedError(fields={"ordering": [f"Order by one of: {allowed}."]})
        queryset = queryset.order_by(params.ordering, "pk")
    count = queryset.count()
    start = (params.page - 1) * params.page_size
    return {
        "items": list(queryset[start : start + params.page_size]),
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "pages": max(1, -(-count // params.page_size)),
    }


def ctx_of(request: HttpRequest) -> RequestContext:
    """The RequestContext the API's auth attached to the request."""
    ctx = getattr(request, "auth", None)
    if not isinstance(ctx, RequestContext):
        raise AuthenticationRequiredError()
    return ctx


def error_response(api: NinjaAPI, request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(
        request, {"code": error.code, "message": error.message, "detail": error.detail}, status=error.http_status
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Every error leaves the API as ``{"code", "message", "detail"}``."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
        return error_response(api, request, error)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        return error_response(api, request, AuthenticationRequiredError())

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, error: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for item in error.errors:
            location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "payload")]
            fields.setdefault(".".join(location) or "request", []).append(str(item.get("msg", "Invalid value.")))
        return error_response(api, request, ValidationFailedError(fields=fields))

    @api.exception_handler(DjangoValidationError)
    def model_validation_error(request: HttpRequest, error: DjangoValidationError) -> HttpResponse:
        fields = (
            {name: [str(message) for message in messages] for name, messages in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {"request": [str(message) for message in error.messages]}
        )
        return error_response(api, request, ValidationFailedError(fields=fields))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        if error.status_code == 404:
            return error_response(api, request, NotFoundError())
        body = {"code": f"http_{error.status_code}", "message": str(error), "detail": {}}
        return api.create_response(request, body, status=error.status_code)


ERROR_RESPONSES: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
