//! API errors in the grpc-gateway shape the service uses (`gatewayruntimeError`).

use http::StatusCode;
use serde_json::{json, Value};

use super::validate::FieldError;

/// gRPC status codes used by the emulator (google.golang.org/grpc/codes).
pub mod code {
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const NOT_FOUND: i32 = 5;
    pub const ALREADY_EXISTS: i32 = 6;
    pub const PERMISSION_DENIED: i32 = 7;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const FAILED_PRECONDITION: i32 = 9;
    pub const UNIMPLEMENTED: i32 = 12;
    pub const INTERNAL: i32 = 13;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
}

/// An error answer: HTTP status, gRPC code and a message that says what to do.
///
/// Rendered as `{"error": message, "code": code, "message": message, "details": []}`;
/// the HTTP status follows the grpc-gateway mapping of the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i32,
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: i32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    /// 400, code 3 (InvalidArgument).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::INVALID_ARGUMENT, message)
    }
    /// 404, code 5 (NotFound).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code::NOT_FOUND, message)
    }
    /// 409, code 6 (AlreadyExists).
    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code::ALREADY_EXISTS, message)
    }
    /// 400, code 9 (FailedPrecondition), as grpc-gateway maps it.
    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::FAILED_PRECONDITION, message)
    }
    /// 403, code 7 (PermissionDenied).
    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code::PERMISSION_DENIED, message)
    }
    /// 401, code 16 (Unauthenticated).
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, message)
    }
    /// 503, code 14 (Unavailable).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code::UNAVAILABLE, message)
    }
    /// 429, code 8 (ResourceExhausted).
    pub fn too_many_requests(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code::RESOURCE_EXHAUSTED,
            message,
        )
    }
    /// 413, code 8 (ResourceExhausted).
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::RESOURCE_EXHAUSTED,
            message,
        )
    }
    /// 500, code 13 (Internal).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, message)
    }
    /// 501, code 12 (Unimplemented).
    pub fn unimplemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, code::UNIMPLEMENTED, message)
    }
    /// 405, code 12 (Unimplemented), as grpc-gateway answers a known path with a wrong method.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, code::UNIMPLEMENTED, message)
    }

    /// The `gatewayruntimeError` body.
    pub fn body(&self) -> Value {
        json!({"error": self.message, "code": self.code, "message": self.message, "details": []})
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid(e.to_string())
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;
