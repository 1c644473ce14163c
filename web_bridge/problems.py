"""Errors as RFC 9457 problem details (application/problem+json), never bare 500s."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_TYPE_BASE = "https://suwon-fleet.example.org/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str, kind: str = "",
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.status = status
        self.headers = headers or {}
        self.title = title
        self.detail = detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.extra = extra
        super().__init__(detail)


def problem_response(request: Request, status: int, title: str, detail: str, kind: str,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_TYPE_BASE + kind, "title": title, "status": status,
            "detail": detail, "instance": request.url.path, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc.status, exc.title, exc.detail, exc.kind,
                                headers=exc.headers, **exc.extra)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "HTTP Error")
        return problem_response(request, exc.status_code, title, str(exc.detail),
                                title.lower().replace(" ", "-"))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(request, 422, "Invalid Request", detail, "invalid-request",
                                errors=errors)
