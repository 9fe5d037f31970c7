"""The error tree: each class carries its HTTP status, OpenAI error type and machine code.

Messages are in French (they reach agents) and never contain personal data or secrets.
"""

from __future__ import annotations


class GardefouError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str = "internal_error"
    sent: bool = False  # whether the request had been handed to the upstream model when this happened
    policy_refusal: bool = False  # the policy refused it (register: "bloquée"), rather than a failure

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def to_openai(self, request_id: str | None = None) -> dict[str, dict[str, str | None]]:
        """The OpenAI error body; `request_id` (the X-Request-Id) added when known."""
        error: dict[str, str | None] = {"message": self.message, "type": self.type, "code": self.code}
        error["param"] = None
        if request_id is not None:
            error["request_id"] = request_id
        return {"error": error}


class InvalidRequest(GardefouError):
    status, type, code = 400, "invalid_request_error", "invalid_request"


class UpstreamRejected(InvalidRequest):
    """The upstream refused the request as invalid (400, 404, 413, 422): the agent's 4xx, and the
    register says the request was sent."""

    sent = True


class Unauthenticated(GardefouError):
    status, type, code = 401, "authentication_error", "invalid_api_key"


class Forbidden(GardefouError):
    status, type, code = 403, "permission_error", "forbidden"
    policy_refusal = True


class ModelNotAllowed(Forbidden):
    code = "model_not_allowed"


class PersonalDataBlocked(Forbidden):
    code = "personal_data_blocked"


class ForbiddenUse(Forbidden):
    code = "forbidden_use"


class DataNotAllowed(Forbidden):
    code = "data_not_allowed"


class NotFound(GardefouError):
    status, type, code = 404, "invalid_request_error", "not_found"


class ModelNotFound(NotFound):
    code = "model_not_found"


class MethodNotAllowed(GardefouError):
    status, type, code = 405, "invalid_request_error", "method_not_allowed"


class RequestTimeout(GardefouError):
    status, type, code = 408, "invalid_request_error", "request_timeout"


class PayloadTooLarge(GardefouError):
    status, type, code = 413, "invalid_request_error", "payload_too_large"


class InputTooLong(PayloadTooLarge):
    """The policy's limit on a request's characters (limits.max_input_chars): a refusal, not a failure."""

    policy_refusal = True


class HeadersTooLarge(GardefouError):
    status, type, code = 431, "invalid_request_error", "headers_too_large"


class RateLimited(GardefouError):
    status, type, code = 429, "rate_limit_error", "rate_limit_exceeded"


class TooManyConnections(RateLimited):
    code = "too_many_connections"


class UpstreamError(GardefouError):
    """The upstream failed after the request was sent to it (its status, its answer, its stream)."""

    status, type, code = 502, "upstream_error", "upstream_error"
    sent = True


class UpstreamUnreachable(UpstreamError):
    """No connection to the upstream: the request was not sent."""

    code = "upstream_unreachable"
    sent = False


class UpstreamBadAnswer(UpstreamError):
    """The upstream answered, but its answer cannot be read or restored (the request was sent)."""

    code = "upstream_bad_answer"


class UpstreamCut(UpstreamError):
    """The upstream's answer broke off: connection lost, or a stream ended before `[DONE]` (the
    request was sent)."""

    code = "upstream_cut"


class DetectionUnavailable(GardefouError):
    status, type, code = 503, "server_error", "detection_unavailable"


class LimitsUnavailable(GardefouError):
    status, type, code = 503, "server_error", "limits_unavailable"


class KeysUnavailable(GardefouError):
    """The shared key store (PostgreSQL) did not answer: nobody is let in unchecked."""

    status, type, code = 503, "server_error", "keys_unavailable"


class UpstreamTimeout(GardefouError):
    status, type, code = 504, "upstream_error", "upstream_timeout"
    sent = True
