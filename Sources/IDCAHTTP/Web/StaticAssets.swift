import Hummingbird
import IDCAReports
import NIOCore

/// The pages' own files, compiled into the binary: no third-party asset, no CDN, works offline.
/// Each is served with its real type and `nosniff`, and may be cached for five minutes.
func addStaticAssetRoutes(to router: Router<IDCARequestContext>) {
    let assets: [(path: String, type: String, body: String)] = [
        ("/assets/app.js", "text/javascript; charset=utf-8", appScript),
        ("/assets/style.css", "text/css; charset=utf-8", styleSheet),
        ("/assets/report.css", "text/css; charset=utf-8", StatisticsOverview.statisticsStyleSheet),
    ]
    for asset in assets {
        let body = ByteBuffer(string: asset.body)
        router.get(RouterPath(asset.path)) { _, _ -> Response in
            var headers: HTTPFields = [.contentType: asset.type, .cacheControl: "public, max-age=300"]
            addSecurityHeaders(to: &headers)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }
}
