"""The sync service over HTTP: a Starlette app with a psycopg connection pool.

Every request but enrolment carries the device key (``Authorization: Device KEY``), the
signed-in user (``X-Asbtui-User``) and the protocol version (``X-Asbtui-Protocol``).
Refusals are JSON ``{"error": "one plain line"}`` with a 4xx status.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from asbtui.server import bodies, central
from asbtui.server.central import PROTOCOL, Caller, CentralError
from asbtui.server.schema import check_url, require_current

MAX_PAGE = 5000
MAX_BATCH = 5000
log = logging.getLogger("asbtui.server")


def create_app(url: str, *, pool_size: int = 8) -> Starlette:
    """The ASGI app serving the central store at ``url``."""
    pool = ConnectionPool(check_url(url), min_size=1, max_size=pool_size, open=False,
                          kwargs={"autocommit": True})

    def caller(request: Request, conn: psycopg.Connection) -> Caller:
        version = request.headers.get("x-asbtui-protocol", "")
        if version != str(PROTOCOL):
            said = version if version.isdigit() and len(version) < 10 else "unknown"
            raise CentralError(f"This device speaks sync protocol {said}; the "
                               f"central store speaks {PROTOCOL}: update asbtui.", 426)
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Device" or not key:
            raise CentralError("This device is not enrolled with the central store.", 401)
        user = request.headers.get("x-asbtui-user", "")
        if not user:
            raise CentralError("Sign in first: every sync names its user.", 401)
        if len(user) > bodies.TEXT_MAX or len(key) > bodies.TEXT_MAX:
            # Not echoed: no user name or device key is this long.
            raise CentralError("The central store has no such user or device.", 401)
        pin = request.headers.get("x-asbtui-pin")
        if pin is not None and len(pin) > 64:  # no PIN is this long: not hashed to find out
            raise CentralError("That user name and PIN do not match.", 403)
        return central.authenticate(conn, key, user, pin)

    def endpoint(work: Callable[..., Any], *, auth: bool = True):  # noqa: ANN202
        async def handle(request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            def run(body: dict[str, Any]) -> Any:
                with pool.connection() as conn:
                    if auth:
                        return work(conn, caller(request, conn), body, request)
                    return work(conn, body, request)

            try:
                body = bodies.json_object(await request.body())
                result = await run_in_threadpool(run, body)
            except CentralError as error:
                return JSONResponse({"error": str(error)}, status_code=error.status)
            except psycopg.Error as error:
                first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                return JSONResponse({"error": f"The central store failed: {first}"},
                                    status_code=503)
            except Exception:  # a fault of the service's own: logged, and told plainly
                log.exception("%s failed", request.url.path)
                return JSONResponse({"error": "The sync service failed on this request; "
                                              "its log says why."}, status_code=500)
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return handle

    def enrol(conn: psycopg.Connection, body: dict, _r: Request) -> dict:
        return central.claim_enrolment(conn, bodies.text(body, "code"),
                                       bodies.text(body, "store_id"))

    def hello(conn: psycopg.Connection, who: Caller, _b: dict, _r: Request) -> dict:
        scopes = who.scopes
        return {"device": who.device_name, "device_id": who.device_id, "user": who.username,
                "scopes": scopes, "heads": central.scope_heads(conn, scopes),
                "conflicts": central.conflicts_for_device(conn, who),
                "protocol": PROTOCOL}

    def push(conn: psycopg.Connection, who: Caller, body: dict, _r: Request) -> dict:
        result = central.push(conn, who, bodies.changes(body, MAX_BATCH))
        return {"last_seq": result.last_seq, "applied": result.applied,
                "skipped": result.skipped, "conflicts": result.conflicts,
                "refused": result.refused}

    def pull(conn: psycopg.Connection, who: Caller, body: dict, _r: Request) -> dict:
        limit = max(1, min(bodies.whole(body, "limit", 1000), MAX_PAGE))
        return central.pull(conn, who, bodies.text(body, "scope"),
                            bodies.whole(body, "after"), limit)

    def stream(conn: psycopg.Connection, who: Caller, body: dict, _r: Request) -> Response:
        scope, after = bodies.text(body, "scope"), bodies.whole(body, "after")
        if scope not in who.scopes:
            raise CentralError(f"This user may not pull {scope}.", 403)
        upto = bodies.whole(body, "upto") or central.scope_heads(conn, [scope])[scope]

        # A device that asks for COPY's text format gets it (and is told so); any other
        # gets CSV, as devices before it expect. One that also names its columns gets
        # each row's fields as columns of their own ("columns").
        text = body.get("format") == "text"
        columns = central.stream_columns(body.get("columns")) if text else None
        kind = "columns" if columns else "text" if text else "csv"

        def blocks():  # noqa: ANN202 - its own connection: the pooled one goes back
            with pool.connection() as own:
                yield from central.stream_scope(own, who, scope, after, upto, text=text,
                                                columns=columns)

        return StreamingResponse(blocks(), media_type="text/plain",
                                 headers={"x-asbtui-upto": str(upto),
                                          "x-asbtui-format": kind})

    def refusals(conn: psycopg.Connection, who: Caller, _b: dict, _r: Request) -> Any:
        return central.list_refusals(conn, who)

    def conflicts(conn: psycopg.Connection, who: Caller, body: dict, _r: Request) -> Any:
        return central.list_conflicts(conn, who, open_only=not body.get("all"))

    def conflict(conn: psycopg.Connection, who: Caller, _b: dict, request: Request) -> Any:
        return central.get_conflict(conn, who, int(request.path_params["id"]))

    def resolve(conn: psycopg.Connection, who: Caller, body: dict, request: Request) -> Any:
        if "value" not in body:
            raise CentralError("Give the value that settles the conflict.")
        value = bodies.field_value(body["value"], "The value that settles it")
        return central.resolve_conflict(conn, who, int(request.path_params["id"]), value)

    def audit(conn: psycopg.Connection, who: Caller, body: dict, _r: Request) -> Any:
        return central.push_audit(conn, who, bodies.audit_events(body, MAX_BATCH))

    def audit_hashes(conn: psycopg.Connection, who: Caller, body: dict, _r: Request) -> Any:
        limit = max(1, min(bodies.whole(body, "limit", 10_000), 50_000))
        return central.audit_hashes(conn, who, bodies.whole(body, "after"), limit)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        pool.open(wait=True, timeout=10)
        try:
            with pool.connection() as conn:
                require_current(conn)
            yield
        finally:
            pool.close()

    routes = [
        Route("/v1/enrol", endpoint(enrol, auth=False), methods=["POST"]),
        Route("/v1/hello", endpoint(hello), methods=["POST"]),
        Route("/v1/push", endpoint(push), methods=["POST"]),
        Route("/v1/pull", endpoint(pull), methods=["POST"]),
        Route("/v1/stream", endpoint(stream), methods=["POST"]),
        Route("/v1/audit", endpoint(audit), methods=["POST"]),
        Route("/v1/audit/hashes", endpoint(audit_hashes), methods=["POST"]),
        Route("/v1/conflicts", endpoint(conflicts), methods=["POST"]),
        Route("/v1/refusals", endpoint(refusals), methods=["POST"]),
        Route("/v1/conflicts/{id:int}", endpoint(conflict), methods=["POST"]),
        Route("/v1/conflicts/{id:int}/resolve", endpoint(resolve), methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
