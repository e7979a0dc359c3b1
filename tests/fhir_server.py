"""A small in-memory FHIR R4 transaction server for tests, with fault injection.

Faithful where delivery depends on it: a transaction commits all entries or none;
`ifNoneExist` is a real identifier/_tag search (one match -> 200 with the existing id, several
-> 412); urn:uuid and conditional references are resolved (no match -> 400); resources are
parsed with fhir.resources R4B (invalid -> 400 OperationOutcome). A token endpoint checks
SMART private_key_jwt assertions, client secrets and passwords.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import jwt
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

Fault = Literal["error_500", "rate_limit", "timeout_after_commit", "drop_after_commit"]
Json = dict[str, Any]
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_MODELS = ("Bundle", "DocumentReference", "Composition", "Observation", "Condition")
_WARM_UP = (*_MODELS, "MedicationStatement", "Provenance", "Patient", "Encounter")


class TransactionError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def operation_outcome(message: str, code: str = "processing") -> Json:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    }


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _token_matcher(query: str, code_key: str) -> Callable[[list[Json]], bool]:
    """A predicate over codings/identifiers for a `[system|]code` token search value."""
    parts = [_unescape(p) for p in _UNESCAPED_PIPE.split(query, maxsplit=1)]
    if len(parts) == 1:
        return lambda codings: any(c.get(code_key) == parts[0] for c in codings)
    system, value = parts
    return lambda codings: any(
        c.get(code_key) == value and (c.get("system") or "") == system for c in codings
    )


def _as_list(value: Any) -> list[Json]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _walk_references(node: Any) -> Iterator[Json]:
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from _walk_references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_references(value)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up are part of the fault scenarios, not errors.
        return


class FhirTestServer:
    """Start with `with FhirTestServer() as server:`; `server.base_url` is the FHIR base."""

    def __init__(
        self,
        *,
        fault_picker: Callable[[], Fault | None] | None = None,
        retry_after: str = "1",
        commit_delay: float = 0.3,
        require_auth: bool = False,
        token_lifetime: int = 300,
        validate: bool = True,
    ) -> None:
        self.resources: dict[str, dict[str, Json]] = {}
        self.faults: list[Fault] = []  # consumed first, one per transaction
        self.fault_picker = fault_picker
        self.retry_after = retry_after
        self.commit_delay = commit_delay
        self.require_auth = require_auth
        self.token_lifetime = token_lifetime
        self.validate = validate
        self.stats: Counter[str] = Counter()
        self.smart_clients: dict[str, str] = {}  # client_id -> public key PEM
        self.secret_clients: dict[str, str] = {}  # client_id -> secret
        self.users: dict[str, str] = {}  # username -> password
        self.assertions: list[tuple[Json, Json]] = []  # (header, claims) of accepted assertions
        self.tokens: dict[str, float] = {}  # access token -> expiry
        self._seen_jti: set[str] = set()
        self._lock = threading.RLock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/fhir"

    @property
    def token_url(self) -> str:
        return self.base_url.rsplit("/", 1)[0] + "/token"

    def start(self) -> FhirTestServer:
        for rtype in _WARM_UP:  # import the models now, not inside a client's timeout
            get_fhir_model_class(rtype)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FhirTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- store -------------------------------------------------------------------------------

    def seed(self, resource: Json) -> str:
        """Store a resource directly (patients, encounters); returns its id."""
        with self._lock:
            rid = uuid.uuid4().hex[:16]
            stored = {**copy.deepcopy(resource), "id": rid, "meta": {"versionId": "1"}}
            self.resources.setdefault(resource["resourceType"], {})[rid] = stored
            return rid

    def count(self, resource_type: str) -> int:
        with self._lock:
            return len(self.resources.get(resource_type, {}))

    def search(
        self, resource_type: str, query: str, pool: dict[str, dict[str, Json]] | None = None
    ) -> list[Json]:
        """Resources of a type matching a query string (identifier, _tag, _id)."""
        params = parse_qs(query, keep_blank_values=True)
        candidates = list((pool or self.resources).get(resource_type, {}).values())
        for name, values in params.items():
            for value in values:
                if name == "identifier":
                    match = _token_matcher(value, "value")
                    candidates = [r for r in candidates if match(_as_list(r.get("identifier")))]
                elif name == "_tag":
                    match = _token_matcher(value, "code")
                    candidates = [r for r in candidates if match(r.get("meta", {}).get("tag", []))]
                elif name == "_id":
                    candidates = [r for r in candidates if r.get("id") == value]
                else:
                    raise TransactionError(400, f"unknown search parameter {name}")
        return candidates

    # -- transactions ------------------------------------------------------------------------

    def next_fault(self) -> Fault | None:
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
            if fault is None and self.fault_picker is not None:
                fault = self.fault_picker()
            if fault is not None:
                self.stats[fault] += 1
            return fault

    def transaction(self, bundle: Json) -> Json:
        """Process a transaction Bundle atomically; returns the transaction-response."""
        if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
            raise TransactionError(400, "expected a transaction Bundle")
        entries = bundle.get("entry") or []
        if self.validate:
            for entry in entries:
                resource = entry.get("resource") or {}
                try:
                    get_fhir_model_class(resource.get("resourceType", "?")).model_validate(resource)
                except (ValidationError, KeyError, ValueError) as exc:
                    raise TransactionError(400, f"invalid {resource.get('resourceType')}") from exc
        with self._lock:
            # Staged: stored resources are never mutated, so copying the indexes suffices.
            pool = {rtype: dict(by_id) for rtype, by_id in self.resources.items()}
            id_map: dict[str, str] = {}
            created: list[Json] = []
            responses: list[Json] = []
            for entry in entries:
                request = entry.get("request") or {}
                resource = copy.deepcopy(entry.get("resource") or {})
                rtype = str(resource.get("resourceType"))
                if request.get("method") != "POST" or request.get("url") != rtype:
                    raise TransactionError(400, "only POST [type] entries are supported")
                matches = []
                if request.get("ifNoneExist"):
                    matches = self.search(rtype, request["ifNoneExist"], pool)
                if len(matches) > 1:
                    raise TransactionError(412, f"ifNoneExist matched {len(matches)} {rtype}")
                if matches:
                    rid, status = matches[0]["id"], "200 OK"
                else:
                    rid, status = uuid.uuid4().hex[:16], "201 Created"
                    resource["id"] = rid
                    resource["meta"] = {**resource.get("meta", {}), "versionId": "1"}
                    pool.setdefault(rtype, {})[rid] = resource
                    created.append(resource)
                if entry.get("fullUrl"):
                    id_map[entry["fullUrl"]] = f"{rtype}/{rid}"
                responses.append(
                    {"response": {"status": status, "location": f"{rtype}/{rid}/_history/1"}}
                )
            resolved: dict[str, str] = {}
            for resource in created:
                for ref in _walk_references(resource):
                    target = ref["reference"]
                    if target not in resolved:
                        resolved[target] = self._resolve(target, id_map, pool)
                    ref["reference"] = resolved[target]
            self.resources = pool
            self.stats["committed"] += 1
            self.stats["created"] += len(created)
        return {"resourceType": "Bundle", "type": "transaction-response", "entry": responses}

    def _resolve(
        self, reference: str, id_map: dict[str, str], pool: dict[str, dict[str, Json]]
    ) -> str:
        if reference.startswith("urn:uuid:"):
            if reference not in id_map:
                raise TransactionError(400, "unresolved urn:uuid reference")
            return id_map[reference]
        if "?" in reference:
            rtype, query = reference.split("?", 1)
            matches = self.search(rtype, query, pool)
            if not matches:
                raise TransactionError(400, f"conditional reference {rtype}?... matched nothing")
            if len(matches) > 1:
                raise TransactionError(412, "conditional reference matched several resources")
            return f"{rtype}/{matches[0]['id']}"
        return reference

    # -- tokens ------------------------------------------------------------------------------

    def issue_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> Json:
        grant = form.get("grant_type")
        if grant == "client_credentials" and "client_assertion" in form:
            self._check_assertion(form["client_assertion"])
        elif grant == "client_credentials":
            client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
            if self.secret_clients.get(client_id) != secret:
                raise TransactionError(401, "invalid_client")
        elif grant == "password":
            if basic is not None and self.secret_clients.get(basic[0]) != basic[1]:
                raise TransactionError(401, "invalid_client")
            if self.users.get(form.get("username", "")) != form.get("password"):
                raise TransactionError(400, "invalid_grant")
        else:
            raise TransactionError(400, "unsupported_grant_type")
        token = uuid.uuid4().hex
        with self._lock:
            self.tokens[token] = time.time() + self.token_lifetime
            self.stats["tokens"] += 1
        return {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}

    def _check_assertion(self, assertion: str) -> None:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        key = self.smart_clients.get(str(unverified.get("iss")))
        if key is None or header.get("alg") not in {"RS384", "ES384"}:
            raise TransactionError(401, "invalid_client")
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS384", "ES384"],
                audience=self.token_url,
                options={"require": ["exp", "iss", "sub", "aud", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise TransactionError(401, "invalid_client") from exc
        with self._lock:
            if claims["sub"] != claims["iss"] or claims["jti"] in self._seen_jti:
                raise TransactionError(401, "invalid_client")
            if claims["exp"] - time.time() > 300 + 5:
                raise TransactionError(401, "invalid_client")
            self._seen_jti.add(claims["jti"])
            self.assertions.append((header, claims))

    def authorized(self, header: str | None) -> bool:
        if not self.require_auth:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        with self._lock:
            return self.tokens.get(header.removeprefix("Bearer "), 0.0) > time.time()

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()


def _make_handler(server: FhirTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as separate writes

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet test output

        def _send(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if not server.authorized(self.headers.get("Authorization")):
                self._send(401, operation_outcome("unauthorized", "login"))
                return
            path = parts.path.removeprefix("/fhir/").strip("/").split("/")
            try:
                if len(path) == 2:
                    found = server.resources.get(path[0], {}).get(path[1])
                    if found is None:
                        self._send(404, operation_outcome("not found", "not-found"))
                    else:
                        self._send(200, found)
                    return
                matches = server.search(path[0], parts.query)
            except TransactionError as exc:
                self._send(exc.status, operation_outcome(str(exc)))
                return
            entries = [{"resource": r} for r in matches]
            self._send(200, {"resourceType": "Bundle", "type": "searchset", "entry": entries})

        def do_POST(self) -> None:
            body = self._body()
            if urlsplit(self.path).path == "/token":
                self._token(body)
                return
            if not server.authorized(self.headers.get("Authorization")):
                self._send(401, operation_outcome("unauthorized", "login"))
                return
            fault = server.next_fault()
            if fault == "error_500":
                self._send(500, operation_outcome("injected failure before commit", "exception"))
                return
            if fault == "rate_limit":
                headers = {"Retry-After": server.retry_after}
                self._send(429, operation_outcome("slow down", "throttled"), headers)
                return
            try:
                result = server.transaction(json.loads(body))
            except (TransactionError, json.JSONDecodeError) as exc:
                status = exc.status if isinstance(exc, TransactionError) else 400
                self._send(status, operation_outcome(str(exc)))
                return
            if fault == "drop_after_commit":
                self.close_connection = True  # committed, but the client never hears of it
                return
            if fault == "timeout_after_commit":
                time.sleep(server.commit_delay)
            try:
                self._send(200, result)
            except OSError:
                self.close_connection = True

        def _token(self, body: bytes) -> None:
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            basic = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                user, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                basic = (user, secret)
            try:
                self._send(200, server.issue_token(form, basic))
            except TransactionError as exc:
                self._send(exc.status, {"error": str(exc)})

    return Handler
