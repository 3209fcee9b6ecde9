"""``GET /api/v1/search`` served without FastAPI's per-request parameter machinery.

A search is the one request readers and partners' widgets send all day. FastAPI resolves a
route's parameters anew on every request: for each of the fourteen it asks again whether the
declared type is a sequence, what its alias is, which model it belongs to, then validates it.
For this route that work cost about as much as the rest of the route's own code together
(README's search figures say how much). This middleware, innermost in the stack (every limit,
key check, ETag and header still applies), reads the query string once and validates each
parameter with a validator made once from the route's own declarations (the signature of ``routes.search.search`` and of
``SearchParams``: one definition for FastAPI, the OpenAPI document and this), then calls the
route's function itself.

A parameter that does not validate goes to FastAPI unchanged, whose validation error is the
documented one. An error the route raises goes to the app's exception handler for it, looked up
as Starlette's exception middleware looks it up (by the exception's classes, the catch-all
``Exception`` handler left to the server-error middleware outside), and is answered by it; with
no handler it propagates as it would from the route. The search is not run again (an engine
that timed out would make the reader wait twice). The suite holds the two ways to the same
answers (tests/api/test_search_shortcut.py).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request

from search_api.asgi import ASGIApp, HttpMiddleware, Receive, Scope, Send
from search_api.routes import search as search_route
from search_api.services import Services

SEARCH_PATH = "/api/v1/search"


@dataclass(frozen=True)
class _Parameter:
    """One query parameter as FastAPI reads it: its name, whether it repeats, its default and its
    validator (made from the declared type and its ``Query`` constraints)."""

    name: str
    repeated: bool
    default: Any
    validate: Callable[[Any], Any]


def _parameter(name: str, annotation: Any, default: Any) -> _Parameter:
    """The parameter ``name`` declared as ``annotation`` (``Annotated[T, Query(...)]`` or ``T``)."""
    inner = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation
    # A list, or an optional list, is read with every value given (``?realm=ABS&realm=BCH``).
    arms = typing.get_args(inner) if typing.get_origin(inner) in (typing.Union, types.UnionType) else ()
    kinds = [typing.get_origin(arm) for arm in (arms or (inner,))]
    repeated = list in kinds
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    return _Parameter(name, repeated, default, adapter.validate_python)


def _parameters() -> tuple[list[_Parameter], list[_Parameter]]:
    """The search's own parameters (paging) and ``SearchParams``'s, from their declarations."""
    route = inspect.signature(search_route.search, eval_str=True)
    own = [
        _parameter(name, parameter.annotation, parameter.default)
        for name, parameter in route.parameters.items()
        if parameter.default is not inspect.Parameter.empty
    ]
    fields = inspect.signature(search_route.SearchParams, eval_str=True)
    shared = [_parameter(name, field.annotation, field.default) for name, field in fields.parameters.items()]
    return own, shared


def _handler_for(handlers: Mapping[Any, Callable[..., Any]], exc: Exception) -> Callable[..., Any] | None:
    """The app's handler of ``exc`` as Starlette's ExceptionMiddleware would pick it: by class,
    nearest first (an HTTP exception by its status first); the catch-all (``Exception``, 500) is
    the server-error middleware's, not its."""
    if isinstance(exc, HTTPException) and exc.status_code != 500 and exc.status_code in handlers:
        return handlers[exc.status_code]
    for kind in type(exc).__mro__:
        if kind is not Exception and kind in handlers:
            return handlers[kind]
    return None


class SearchShortcut(HttpMiddleware):
    """ASGI middleware: a ``GET /api/v1/search`` whose parameters validate answered by the route's
    function directly (its errors by the app's handlers); anything else passed to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.own, self.shared = _parameters()

    def handles(self, scope: Scope) -> bool:
        if scope["method"] != "GET":
            return False
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return path == SEARCH_PATH

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        arguments = self._read(QueryParams(scope["query_string"]))
        if arguments is None:
            await self.app(scope, receive, send)
            return
        own, params = arguments
        request = Request(scope, receive)
        services: Services = request.app.state.services
        try:
            response: Response = await run_in_threadpool(
                search_route.search, request, services, search_route.SearchParams(**params), **own
            )
        except Exception as exc:
            handler = _handler_for(request.app.exception_handlers, exc)
            if handler is None:
                raise
            if inspect.iscoroutinefunction(handler):
                response = await handler(request, exc)
            else:
                response = await run_in_threadpool(handler, request, exc)
        await response(scope, receive, send)

    def _read(self, query: QueryParams) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The route's arguments and ``SearchParams``'s fields, or None where one does not validate."""
        try:
            return self._values(query, self.own), self._values(query, self.shared)
        except ValidationError:
            return None

    @staticmethod
    def _values(query: QueryParams, parameters: Sequence[_Parameter]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for parameter in parameters:
            # As FastAPI reads a query: every value of a list (none given: the default), the
            # last value of anything else.
            if parameter.repeated:
                given: Any = query.getlist(parameter.name) or None
            else:
                given = query.get(parameter.name)
            values[parameter.name] = parameter.default if given is None else parameter.validate(given)
        return values
