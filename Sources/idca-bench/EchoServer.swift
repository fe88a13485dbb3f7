import Hummingbird

/// The ceiling for the server benchmarks: a bare Hummingbird route that returns its JSON body,
/// with no parsing, no crypto and no database. Same framework, same machine, same client.
func runEchoServer(port: Int) async throws {
    let router = Router()
    router.post("/echo") { request, _ -> Response in
        let body = try await request.body.collect(upTo: 16 * 1024)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
    }
    let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
    try await application.runService()
}
