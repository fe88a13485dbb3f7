import Hummingbird
import IDCACore
import Logging

/// The one place errors become HTTP answers. `IDCAError` carries a safe code and message; anything
/// else becomes a bare 500 whose body says nothing internal.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = IDCARequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as IDCAError {
            if let detail = error.detail {
                context.logger.warning("request failed", metadata: ["error": "\(error.code)", "detail": "\(detail)"])
            }
            var response = try jsonResponse(ErrorResource(error: error.code, message: error.message, field: error.field), status: error.kind.status)
            if error.kind == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            if let seconds = error.retryAfter { response.headers[.retryAfter] = String(max(1, seconds)) }
            return response
        } catch let error as HTTPError {
            let resource: ErrorResource = switch error.status {
            case .notFound: ErrorResource(error: "not_found", message: "There is nothing at this path.")
            case .methodNotAllowed: ErrorResource(error: "method_not_allowed", message: "This path does not accept this method.")
            default: ErrorResource(error: "bad_request", message: "The request could not be understood.")
            }
            return try jsonResponse(resource, status: error.status)
        } catch {
            context.logger.error("unexpected failure", metadata: ["type": "\(type(of: error))"])
            return try jsonResponse(ErrorResource(error: "internal_error", message: "Something went wrong on our side; try again."),
                                    status: .internalServerError)
        }
    }
}

extension IDCAError.Kind {
    var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooManyRequests: .tooManyRequests
        case .payloadTooLarge: .contentTooLarge
        case .unavailable: .serviceUnavailable
        case .misconfigured, .internalFailure: .internalServerError
        }
    }
}

/// Gives each request an id (echoed as `X-Request-ID`), logs one line per request — method,
/// route pattern, status, duration; never the body, which holds personal data — and counts it.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = IDCARequestContext
    let metrics: HTTPMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            // Unmatched routes never reach the error middleware: answer them here, in the same shape.
            response = try await ErrorMiddleware().handle(request, context: context) { _, _ in throw error }
        }
        let route = context.endpointPath ?? "unmatched"
        let duration = ContinuousClock.now - start
        response.headers[.init("X-Request-ID")!] = context.id
        metrics.recordRequest(route: route, method: request.method.rawValue, status: response.status.code, duration: duration)
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(response.status.code)",
            "duration_ms": "\(Double(duration.nanoseconds) / 1e6)",
        ])
        return response
    }
}
