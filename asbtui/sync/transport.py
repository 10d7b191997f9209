"""Talking to the central sync service: one POST per step, each failure one plain line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from asbtui.errors import AsbError

if TYPE_CHECKING:
    import httpx

PROTOCOL = 1
TIMEOUT_S = 60.0


class SyncError(AsbError):
    """The sync could not go on (server down, refused, cut): local work is untouched."""


class Transport(Protocol):
    def post(self, path: str, body: dict[str, Any]) -> Any: ...

    def stream(self, path: str, body: dict[str, Any]) -> tuple[dict[str, str], Any]: ...

    def close(self) -> None: ...


class HttpTransport:
    """The central service at ``url``, as this device (``key``) and user."""

    def __init__(self, url: str, key: str = "", user: str = "",
                 client: httpx.Client | None = None, pin: str | None = None) -> None:
        # httpx (0.3 s of imports) only when a sync starts: the sync engine, which the app's
        # header asks for the sync state after the first frame, imports this module.
        import httpx

        self.url = url.rstrip("/")
        headers = {"x-asbtui-protocol": str(PROTOCOL)}
        if key:
            headers["authorization"] = f"Device {key}"
        if user:
            headers["x-asbtui-user"] = user
        if pin is not None:
            # Only on a device with no users yet, which cannot check the PIN itself.
            headers["x-asbtui-pin"] = pin
        self.client = client or httpx.Client(base_url=self.url, headers=headers,
                                             timeout=TIMEOUT_S)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        import httpx

        try:
            response = self.client.post(path, json=body)
        except httpx.InvalidURL:
            raise SyncError(f"{self.url} is not a valid address of a sync service.") from None
        except httpx.TimeoutException:
            raise SyncError(f"The sync service at {self.url} did not answer in time; "
                            "local work is kept, sync again later.") from None
        except httpx.HTTPError:
            raise SyncError(f"Cannot reach the sync service at {self.url}; local work is "
                            "kept, sync again when connected.") from None
        return _answer(self.url, response)

    def stream(self, path: str, body: dict[str, Any]) -> tuple[dict[str, str], Any]:
        """A streamed answer: its headers and an iterator of byte blocks."""
        import httpx

        try:
            request = self.client.build_request("POST", path, json=body)
            response = self.client.send(request, stream=True)
        except httpx.HTTPError:
            raise SyncError(f"Cannot reach the sync service at {self.url}; local work is "
                            "kept, sync again when connected.") from None
        if response.status_code >= 400:
            response.read()
            _answer(self.url, response)

        def blocks():  # noqa: ANN202
            try:
                yield from response.iter_bytes()
            except httpx.HTTPError:
                raise SyncError("The connection was cut during the first sync; sync again "
                                "to carry on where it stopped.") from None
            finally:
                response.close()

        return dict(response.headers), blocks()

    def close(self) -> None:
        self.client.close()


def _answer(url: str, response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        message = body.get("error") if isinstance(body, dict) else None
        raise SyncError(message or f"The sync service at {url} answered "
                        f"{response.status_code}; is it an asbtui server?")
    if body is None:
        raise SyncError(f"The sync service at {url} gave an answer that is not JSON; is it an "
                        "asbtui server?")
    return body
