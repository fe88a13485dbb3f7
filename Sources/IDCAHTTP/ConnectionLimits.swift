import HTTPTypes
import IDCACore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// What one connection may cost the server (Docs/RELIABILITY.md, "Exhaustion"). Every request body
/// here is at most 16 KiB of JSON or form fields, so a client that sends more, or sends it slowly, or
/// holds a connection open without sending anything, is costing the server without a purpose.
public struct ConnectionLimits: Sendable {
    /// Connections open at once. Beyond it the server stops accepting: new connections wait in the
    /// kernel's listen backlog until one closes, so file descriptors and memory stay bounded.
    public var maximumConnections: Int
    /// A connection with no request in progress is closed after this long. It is also the time a
    /// client has to send a whole request head: a head trickled in byte by byte (slowloris) never
    /// counts as activity, because the idle clock only moves on complete HTTP parts.
    public var idleTimeout: Duration
    /// The time from a request's head to the last byte of its body.
    public var requestTimeout: Duration
    /// The largest request head, all header lines together.
    public var maximumHeaderBytes: Int

    public init(maximumConnections: Int = 4096, idleTimeout: Duration = .seconds(30), requestTimeout: Duration = .seconds(10),
                maximumHeaderBytes: Int = 16 * 1024) {
        self.maximumConnections = maximumConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maximumHeaderBytes = maximumHeaderBytes
    }
}

/// Refuses oversized bodies without reading them and bounds the time a request may take to arrive.
///
/// The application answers an oversized body with 413 (`BodyLimitMiddleware` from `Content-Length`,
/// or `collect(upTo:)` for a chunked body). Left alone, Hummingbird would then read the rest of the
/// body to reach the next request on the connection — a gigabyte, if the client says so. This handler
/// drops every body part past the limit instead and closes the connection once the answer is written,
/// so the server reads at most the limit plus one network read of any body.
final class RequestLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let bodyLimit: Int
    private let requestTimeout: TimeAmount
    private let logger: Logger
    private var bodyBytes = 0
    /// Requests whose head has arrived and whose response has not been written in full.
    private var responsesOwed = 0
    private var discardingBody = false
    private var closeWhenAnswered = false
    private var deadline: Scheduled<Void>?

    init(bodyLimit: Int, requestTimeout: Duration, logger: Logger) {
        self.bodyLimit = bodyLimit
        self.requestTimeout = TimeAmount(requestTimeout)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            bodyBytes = 0
            responsesOwed += 1
            startDeadline(context)
            if let length = head.headerFields[.contentLength].flatMap(Int.init), length > bodyLimit {
                // The middleware answers 413 from the same header; nothing of the body is needed.
                discardingBody = true
                closeWhenAnswered = true
            }
            context.fireChannelRead(data)
        case .body(let buffer):
            guard !discardingBody else { return }
            bodyBytes += buffer.readableBytes
            if bodyBytes > bodyLimit {
                // Pass on the part that crosses the limit, so that a reader's collect(upTo:) fails
                // now rather than waiting for more; drop the rest.
                discardingBody = true
                if responsesOwed == 0 {
                    context.fireChannelRead(data)
                    context.close(promise: nil)
                    return
                }
                closeWhenAnswered = true
            }
            context.fireChannelRead(data)
        case .end:
            deadline?.cancel()
            deadline = nil
            // A discarded body's end is dropped too: the connection closes once the 413 is written.
            guard !discardingBody else { return }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where closeWhenAnswered:
            // Say so: the client learns not to send its next request on this connection.
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .head, .body:
            context.write(data, promise: promise)
            return
        case .end:
            break
        }
        responsesOwed = max(0, responsesOwed - 1)
        if closeWhenAnswered, responsesOwed == 0 {
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        } else {
            context.write(data, promise: promise)
        }
    }

    /// A request NIO's parser refuses (an unknown method, a head over the limit, a bad
    /// `Content-Length`, bytes no request may hold) never reaches a route. Hummingbird would answer it
    /// with an empty 400; this answers in the API's error shape instead, and closes the connection,
    /// as nothing after a request that does not parse can be read reliably.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, responsesOwed == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let (status, resource): (HTTPResponse.Status, ErrorResource) = parserError == .headerOverflow
            ? (.requestHeaderFieldsTooLarge,
               ErrorResource(error: "headers_too_large", message: "The request's header lines are over 16 KiB together, or over 100."))
            : (.badRequest, ErrorResource(error: "bad_request", message: "The request is not valid HTTP/1.1."))
        let body = (try? jsonEncoder.encode(resource)).map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        // An id as every other answer carries, so that the client's report and this log line meet.
        var random = SystemRandomNumberGenerator()
        let id = (0..<2).map { _ in String(random.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
        var head = HTTPResponse(status: status, headerFields: [
            .contentType: "application/json; charset=utf-8", .contentLength: String(body.readableBytes), .connection: "close",
        ])
        if let name = HTTPField.Name("X-Request-ID") { head.headerFields[name] = id }
        logger.notice("request refused by the HTTP parser", metadata: ["error": "\(parserError)", "hb.request.id": "\(id)"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func startDeadline(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound((context: context, logger: logger), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: requestTimeout) {
            // A request still arriving after the deadline is a slow client: close without an
            // answer, as there is no complete request to answer.
            loopBound.value.logger.notice("request timed out while arriving; connection closed")
            loopBound.value.context.close(promise: nil)
        }
    }
}

/// Answers 413 for a declared body over the limit before any route reads it.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = IDCARequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodySize {
            throw IDCAError.bodyTooLarge
        }
        return try await next(request, context)
    }
}

extension IDCAError {
    static let bodyTooLarge = IDCAError(.payloadTooLarge, code: "body_too_large", message: "The request body is larger than 16 KiB.")
}

/// The request body, at most 16 KiB; a longer one is a 413 (a chunked body has no length to refuse
/// it by beforehand, so it is refused here, as soon as it passes the limit).
func collectBody(of request: Request) async throws -> ByteBuffer {
    do {
        return try await request.body.collect(upTo: maximumBodySize)
    } catch is NIOTooManyBytesError {
        throw IDCAError.bodyTooLarge
    } catch let error as IDCAError {
        throw error
    } catch {
        // The connection closed mid-body: the client gave up, or RequestLimitHandler closed it at the
        // request deadline. Nobody reads this answer; the log and metrics should still say 400, not 500.
        throw IDCAError(.badRequest, code: "body_incomplete", message: "The request body ended before it was complete.",
                        detail: String(describing: type(of: error)))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
