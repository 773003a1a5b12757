"""The request body limit of the API (``serve.max_body_bytes``), as ASGI middleware.

It sits before FastAPI reads anything, so it holds for a body that declares its length and for
one streamed in chunks without ``Content-Length`` alike, and answers 413 as the API's other
errors do (JSON with a ``detail``).
"""

from __future__ import annotations

from fastapi.responses import JSONResponse


class BodyLimit:
    """ASGI middleware: a 413 for a body over ``max_body`` bytes, whether the request declares
    its length (refused before reading) or streams it in chunks without Content-Length (read
    up to the limit, then refused); the app gets the body already read."""

    def __init__(self, app, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body:
            return await self._refuse(declared.decode(), scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return await self._refuse(f"more than {self.max_body}", scope, receive, send)
            if not message.get("more_body", False):
                break
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, size: str, scope, receive, send) -> None:
        detail = f"request body of {size} bytes exceeds the limit of {self.max_body}"
        await JSONResponse({"detail": detail}, status_code=413)(scope, receive, send)
