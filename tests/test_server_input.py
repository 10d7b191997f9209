"""The sync service given bad input on every route, as a device gone wrong (or someone
holding a stolen device key) could send it: bodies that are not JSON or not UTF-8, JSON
of the wrong shape, 100 KB strings, numbers out of range, NUL characters, SQL in names.

Each is answered with a 4xx status and one plain line of JSON (``{"error": ...}``), never
a server error, and the service goes on serving. A stream that the service accepts (it
falls back to its plain format on odd ``columns``) runs to its end.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sync_world import World, build_seed, world_at

from asbtui.server.central import PROTOCOL

BIG = "x" * 100_000
NOT_UTF8 = b'{"scope": "\xff\xfe\xfa"}'

BAD_BODIES: list[object] = [
    b"\xff\xfe not json at all",
    NOT_UTF8,
    b"[1, 2, 3]",
    b'"just a string"',
    b"null",
    b'{"after": 1e999}',
    {"after": "abc"},
    {"after": [1]},
    {"after": 10**30},
    {"after": -5},
    {"limit": "many"},
    {"limit": {"a": 1}},
    {"scope": BIG},
    {"scope": "THA\x00"},
    {"scope": ["THA"]},
    {"upto": "soon"},
    {"changes": "all of them"},
    {"changes": [1, "x", None, []]},
    {"changes": [{"tbl": "\x00", "key": BIG, "seq": "one"}]},
    {"changes": [{"tbl": "case", "key": "k", "seq": 10**30, "op": "upsert",
                  "fields": "not a map"}]},
    {"events": "all"},
    {"events": [1, {"seq": "x"}, {"hash": BIG}]},
    {"code": BIG, "store_id": ["x"]},
    {"value": BIG},
    {"all": BIG},
]

STREAM_BODIES: list[dict[str, object]] = [
    {"scope": "district:THA", "format": "text", "columns": {"case": ["\x00"]}},
    {"scope": "district:THA", "format": "text",
     "columns": {"case": ["id', 'x'); DROP TABLE change; --"]}},
    {"scope": "district:THA", "format": "text", "columns": {BIG[:100]: ["y"] * 300}},
    {"scope": "district:THA", "format": "text", "columns": {"case": [BIG]}},
    {"scope": "district:THA", "format": "text", "columns": ["case", "id"]},
    {"scope": "district:THA", "format": "text", "columns": {"case": "id"}},
    {"scope": "district:THA", "format": BIG},
]

ROUTES = ["/v1/enrol", "/v1/hello", "/v1/push", "/v1/pull", "/v1/stream", "/v1/audit",
          "/v1/audit/hashes", "/v1/conflicts", "/v1/refusals", "/v1/conflicts/1",
          "/v1/conflicts/1/resolve"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("server-input")
    with world_at(folder, build_seed(folder / "seed.db")) as made:
        yield made


@pytest.fixture(scope="module")
def client(world: World):
    device = world.device("probe", "sup")
    with httpx.Client(base_url=world.address, timeout=30, headers={
            "x-asbtui-protocol": str(PROTOCOL), "authorization": f"Device {device.key}",
            "x-asbtui-user": "sup"}) as made:
        yield made


def _send(client: httpx.Client, route: str, body: object, **headers: str | bytes) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(route, content=content, headers=headers)


def _plain_refusal(response: httpx.Response) -> str:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert isinstance(error, str) and error and "\n" not in error
    assert len(error) <= 300, error[:400]
    assert "Traceback" not in error
    return error


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_refuses_bad_bodies_in_one_plain_line(client: httpx.Client,
                                                          route: str) -> None:
    for body in BAD_BODIES:
        response = _send(client, route, body)
        if response.status_code == 200:
            # Fields a route does not read are ignored, as JSON APIs do; but what it
            # answers must be what a good request gets.
            assert isinstance(response.json(), (dict, list)), (route, body)
            continue
        _plain_refusal(response)
    assert _send(client, "/v1/hello", {}).status_code == 200


def _refused_at_any_layer(response: httpx.Response) -> None:
    """The service's own refusal, or, for a header block past the HTTP layer's limit
    (uvicorn's h11 refuses one that arrives in pieces longer than 16 KiB before the service
    sees it: it depends on how the bytes arrive), that layer's: a 4xx in one short line of
    text, nothing echoed ("Invalid HTTP request received."). The device reports either in
    one line (``transport._answer``)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        _plain_refusal(response)
        return
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert "\n" not in response.text.strip() and len(response.text) <= 300, response.text[:400]
    assert "x" * 100 not in response.text


@pytest.mark.parametrize("route", ["/v1/hello", "/v1/push", "/v1/stream"])
def test_bad_headers_are_refused_in_one_plain_line(client: httpx.Client, route: str) -> None:
    for headers in ({"x-asbtui-user": BIG}, {"authorization": f"Device {BIG}"},
                    {"x-asbtui-pin": BIG}, {"x-asbtui-protocol": BIG},
                    {"x-asbtui-user": b"sup\xff\xfe"}):
        try:
            response = _send(client, route, {"scope": "district:THA"}, **headers)
        except httpx.TransportError:
            continue  # the HTTP layer closed the connection while the header was sent
        _refused_at_any_layer(response)
    assert _send(client, "/v1/hello", {}).status_code == 200  # and the service still serves


def test_a_stream_with_odd_columns_falls_back_and_runs_to_its_end(client: httpx.Client) -> None:
    plain = client.post("/v1/stream", json={"scope": "district:THA", "format": "text"})
    assert plain.status_code == 200
    for body in STREAM_BODIES:
        response = client.post("/v1/stream", json=body)
        if response.status_code != 200:
            _plain_refusal(response)
            continue
        kind = response.headers["x-asbtui-format"]
        if kind == "columns":  # odd names, but names: sent as literals, found in no row
            assert response.content.count(b"\n") == plain.content.count(b"\n") > 1
        elif kind == "text":
            assert response.content == plain.content, body
        else:  # an unknown format is an older device's: CSV
            assert kind == "csv" and body["format"] != "text", body
    assert _send(client, "/v1/hello", {}).status_code == 200


def test_a_stream_of_a_scope_not_the_users_is_refused(client: httpx.Client,
                                                      world: World, tmp_path: Path) -> None:
    for scope in ("district:MED", "agency:Orbit", BIG, "district:THA\x00"):
        error = _plain_refusal(client.post("/v1/stream", json={"scope": scope}))
        assert BIG not in error


def test_the_service_keeps_the_tables_a_device_syncs() -> None:
    from asbtui.server.scopes import SYNCED_TABLES
    from asbtui.sync.snapshot import synced_tables

    assert set(synced_tables()) == SYNCED_TABLES


def test_a_push_with_a_table_the_service_does_not_keep_is_refused_whole(
        client: httpx.Client, world: World) -> None:
    """Before this check, the central store took rows under any table name from an
    officer's device (the district check passes a row that names no case), with the good
    changes of the same batch; now nothing of the batch is applied."""
    good = {"seq": 9001, "table": "officer", "key": "a" * 32, "op": "insert",
            "fields": {"id": "a" * 32, "collar": "PC 9001", "name": "Test Officer"}}
    evil = {**good, "seq": 9002, "table": "evil", "key": "b" * 32}
    error = _plain_refusal(client.post("/v1/push", json={"changes": [good, evil]}))
    assert "does not keep ('evil')" in error
    assert world.scalar("SELECT count(*) FROM record WHERE key IN (%s, %s)",
                        "a" * 32, "b" * 32) == 0
    assert world.scalar("SELECT count(*) FROM applied WHERE seq >= 9001") == 0


def test_one_enrolment_code_claimed_by_several_devices_at_once_enrols_one(
        world: World) -> None:
    """Eight devices race to claim one code: exactly one gets a key; the rest are refused
    in one line, and the code is spent."""
    import threading

    from asbtui.server import central

    with world.connect() as conn:
        code = central.enrol_device(conn, "raced", "", True)
    go = threading.Barrier(8)
    answers: list[httpx.Response] = []

    def claim(number: int) -> None:
        with httpx.Client(base_url=world.address, timeout=30) as own:
            go.wait()
            answers.append(own.post("/v1/enrol", json={"code": code,
                                                       "store_id": f"store-{number}"}))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [a for a in answers if a.status_code == 200]
    assert len(answers) == 8 and len(won) == 1, [a.status_code for a in answers]
    for answer in answers:
        if answer is not won[0]:
            assert "not valid" in _plain_refusal(answer)
    assert world.scalar("SELECT count(*) FROM device WHERE name = 'raced' "
                        "AND key_hash IS NOT NULL AND code_hash IS NULL") == 1
