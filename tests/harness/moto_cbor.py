"""Serve the Smithy RPC v2 CBOR protocol in front of moto (which speaks only JSON/query).

``aws-sdk-cloudwatch`` from 1.100 on sends ``POST /service/<targetPrefix>/operation/<Op>``
with the header ``smithy-protocol: rpc-v2-cbor`` and a CBOR body; moto 5.2.5 answers such
a request with 404 (its maintainers plan no CBOR route, getmoto/moto#9195). This WSGI
layer translates, driven by the botocore model of the operation:

* request: CBOR body → Python values with botocore's ``RpcV2CBORParser`` against the
  operation's input shape → botocore's JSON serializer (JSON 1.0, ``X-Amz-Target``),
  forwarded to moto at ``/`` with the original headers (SigV4 scope = account/region);
* success: moto's JSON → botocore's ``JSONParser`` against the output shape → CBOR with
  botocore's ``RpcV2CBORSerializer`` (timestamps as tag 1, doubles as float64); an operation
  without an output shape answers an empty body;
* error: moto's ``{"__type", "message"}`` → the same map in CBOR (``cbor2``), status kept,
  ``x-amzn-query-error`` passed through (CloudWatch is ``awsQueryCompatible``).

Every answer carries ``smithy-protocol: rpc-v2-cbor`` and ``Content-Type: application/cbor``.
Services served: those whose botocore model lists ``smithy-rpc-v2-cbor`` in ``SERVICES``
(only CloudWatch among the ones warden uses). Requests without the header pass through.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any, Callable, Iterable

import botocore.session
import cbor2
from botocore import parsers, serialize

#: botocore service name by the ``targetPrefix`` that appears in the CBOR path.
SERVICES = {"GraniteServiceVersion20100801": "cloudwatch"}

_PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<operation>[^/]+)$")
_session = botocore.session.get_session()
_models: dict[str, Any] = {}


def _service_model(name: str) -> Any:
    if name not in _models:
        _models[name] = _session.get_service_model(name)
    return _models[name]


def _cbor_headers(status: str, headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    kept = [
        (k, v)
        for k, v in headers
        if k.lower() not in ("content-type", "content-length", "x-amz-crc32", "smithy-protocol")
    ]
    return kept + [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("Content-Length", str(length)),
    ]


def encode_output(body: bytes, output_shape: Any) -> bytes:
    """moto's JSON answer → CBOR against the output shape (empty body without a shape)."""
    if output_shape is None:
        return b""
    parsed = parsers.create_parser("json").parse(
        {"body": body or b"{}", "headers": {}, "status_code": 200}, output_shape
    )
    parsed.pop("ResponseMetadata", None)
    out = bytearray()
    serialize.RpcV2CBORSerializer()._serialize_data_item(out, parsed, output_shape)
    return bytes(out)


def encode_error(body: bytes) -> bytes:
    """moto's JSON (or query XML) error → CBOR ``{"__type", "message"}``."""
    try:
        data = json.loads(body or b"{}")
        code, message = data.get("__type", ""), data.get("message", data.get("Message", ""))
    except ValueError:  # a query-protocol XML error
        text = body.decode("utf-8", "replace")
        found = re.search(r"<Code>(.*?)</Code>", text)
        said = re.search(r"<Message>(.*?)</Message>", text, re.S)
        code, message = (found.group(1) if found else ""), (said.group(1) if said else text)
    return cbor2.dumps({"__type": code, "message": message})


class RpcV2CborMiddleware:
    """WSGI middleware: CBOR requests to ``/service/<prefix>/operation/<Op>`` → moto's JSON."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        match = _PATH.match(environ.get("PATH_INFO", ""))
        if environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor" or not match:
            return self.app(environ, start_response)
        service = SERVICES.get(match["service"])
        model = _service_model(service) if service else None
        if model is None or match["operation"] not in model.operation_names:
            body = cbor2.dumps({"__type": "UnknownOperationException", "message": environ.get("PATH_INFO")})
            start_response("404 Not Found", _cbor_headers("404", [], len(body)))
            return [body]
        operation = model.operation_model(match["operation"])

        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        params: dict[str, Any] = {}
        if operation.input_shape is not None and raw:
            params = parsers.create_parser("smithy-rpc-v2-cbor").parse(
                {"body": raw, "headers": {}, "status_code": 200}, operation.input_shape
            )
            params.pop("ResponseMetadata", None)
        request = serialize.create_serializer("json", include_validation=False).serialize_to_request(
            params, operation
        )
        inner_body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()

        inner = dict(environ)
        for key in ("HTTP_SMITHY_PROTOCOL", "HTTP_ACCEPT", "HTTP_CONTENT_ENCODING"):
            inner.pop(key, None)
        inner.update(
            {
                "PATH_INFO": "/",
                "REQUEST_URI": "/",
                "RAW_URI": "/",
                "QUERY_STRING": "",
                "CONTENT_TYPE": request["headers"]["Content-Type"],
                "CONTENT_LENGTH": str(len(inner_body)),
                "HTTP_X_AMZ_TARGET": request["headers"]["X-Amz-Target"],
                "wsgi.input": io.BytesIO(inner_body),
            }
        )
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self.app(inner, capture)
        try:
            answer = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers = captured["status"], captured["headers"]
        if int(status.split(" ", 1)[0]) < 300:
            body = encode_output(answer, operation.output_shape)
        else:
            body = encode_error(answer)
        start_response(status, _cbor_headers(status, headers, len(body)))
        return [body]
