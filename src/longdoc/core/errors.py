"""One error tree for the whole service.

Each class knows how both protocols present it; ``api.errors`` renders the envelopes, and
engines raise these without knowing who called them::

    LongdocError                      500  server_error / InternalError
    ├── InvalidRequest                400  invalid_request_error / InvalidParameter
    │   ├── FileParsingInProgress     400  "File parsing in progress, please try again later."
    │   ├── FileNotReady              400  a referenced file ended in error
    │   ├── TooLarge                  400  BadRequest.TooLarge (a file, a message, a context)
    │   ├── FetchFailed               400  a doc_url could not be fetched (the message names URL and reason)
    │   │   └── FetchRefused          400  a doc_url points at a loopback/private/metadata address
    │   ├── QuotaExceeded             400  account file-count / storage limits
    │   └── MethodNotAllowed          405  a route called with a method it does not serve
    ├── AuthenticationFailed          401  invalid_api_key / InvalidApiKey
    ├── AccessDenied                  403  AccessDenied
    ├── NotFound                      404  unknown ids (and other accounts' ids)
    │   └── ModelNotFound             404  model_not_found / ModelNotFound
    ├── RateLimited                   429  rate_limit_exceeded / Throttling.RateQuota
    ├── ModelUnavailable              503  ModelUnavailable
    └── ParseFailed                   a document could not be parsed (recorded on the file, not sent)
"""

from __future__ import annotations


class LongdocError(Exception):
    status: int = 500
    openai_type: str = "server_error"
    openai_code: str | None = None
    dashscope_code: str = "InternalError"

    def __init__(self, message: str, *, param: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.retry_after = retry_after


class InvalidRequest(LongdocError):
    status = 400
    openai_type = "invalid_request_error"
    dashscope_code = "InvalidParameter"


class FileParsingInProgress(InvalidRequest):
    MESSAGE = "File parsing in progress, please try again later."

    def __init__(self, file_id: str) -> None:
        super().__init__(self.MESSAGE)
        self.file_id = file_id


class FileNotReady(InvalidRequest):
    pass


class TooLarge(InvalidRequest):
    dashscope_code = "BadRequest.TooLarge"


class FetchFailed(InvalidRequest):
    openai_code = "invalid_url"


class FetchRefused(FetchFailed):
    pass


class QuotaExceeded(InvalidRequest):
    openai_code = "quota_exceeded"


class MethodNotAllowed(InvalidRequest):
    status = 405


class AuthenticationFailed(LongdocError):
    status = 401
    openai_type = "invalid_request_error"
    openai_code = "invalid_api_key"
    dashscope_code = "InvalidApiKey"


class AccessDenied(LongdocError):
    status = 403
    openai_type = "invalid_request_error"
    dashscope_code = "AccessDenied"


class NotFound(LongdocError):
    status = 404
    openai_type = "invalid_request_error"
    dashscope_code = "InvalidParameter"


class ModelNotFound(NotFound):
    openai_code = "model_not_found"
    dashscope_code = "ModelNotFound"


class RateLimited(LongdocError):
    status = 429
    openai_type = "rate_limit_exceeded"
    openai_code = "rate_limit_exceeded"
    dashscope_code = "Throttling.RateQuota"


class ModelUnavailable(LongdocError):
    status = 503
    openai_type = "server_error"
    openai_code = "model_unavailable"
    dashscope_code = "ModelUnavailable"


class ParseFailed(LongdocError):
    """A document could not be turned into text; ``message`` says why in words a person can act on."""

    status = 422
