import Foundation
import Hummingbird
import IDCACore
import IDCAServices

/// `POST /v1/validate`: the fields of an application form, any subset, in the same JSON shape as
/// `POST /v1/applications` (`operator` nested). Nothing is required: the page sends what has
/// been typed so far. The members are read by `ApplicationField`'s names, so that this body and
/// rejections cannot disagree about what a field is called.
struct ValidateBody: Decodable {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: some StringProtocol) { stringValue = String(name) }
        init?(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    var fields: [ApplicationField: String] = [:]

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: Key.self)
        for field in ApplicationField.allCases {
            let path = field.rawValue.split(separator: ".")
            var container = body
            for parent in path.dropLast() {
                guard container.contains(Key(parent)), try !container.decodeNil(forKey: Key(parent)) else { break }
                container = try container.nestedContainer(keyedBy: Key.self, forKey: Key(parent))
            }
            guard container.codingPath.count == path.count - 1 else { continue }
            fields[field] = try container.decodeIfPresent(String.self, forKey: Key(path.last!))
        }
    }
}

/// The answer: every field sent, keyed by its API name (`operator.resident_id`), with the tidied
/// value and, when a rule refuses it, the reason and message `POST /v1/applications` would give.
struct ValidationResource: Encodable {
    struct Field: Encodable {
        var value: String
        var reason: String?
        var message: String?
    }

    var valid: Bool
    var fields: [String: Field]

    init(_ verdicts: [FormCheck.Verdict]) {
        valid = verdicts.allSatisfy { $0.rejection == nil }
        fields = Dictionary(uniqueKeysWithValues: verdicts.map {
            ($0.field.rawValue, Field(value: $0.tidied, reason: $0.rejection?.reason, message: $0.rejection?.message))
        })
    }
}

/// `GET /v1/reasons?lang=zh|en`: the applicant page's texts for every reason, by kind.
struct ReasonTableResource: Encodable {
    struct Entry: Encodable {
        var message: String
        var advice: String
        var registry: Bool

        enum CodingKeys: String, CodingKey {
            case message, advice
            case registry = "registry_mismatch"
        }
    }

    var lang: String
    var reasons: [String: [String: Entry]]

    init(_ language: ReasonTexts.Language) {
        lang = language.rawValue
        reasons = ReasonTexts.table(language).mapValues { $0.mapValues { Entry(message: $0.message, advice: $0.advice, registry: $0.isRegistryMismatch) } }
    }
}

func addValidateRoutes(to router: Router<IDCARequestContext>, services: HTTPServices) {
    router.post("/v1/validate") { request, context -> Response in
        let body = try await decode(ValidateBody.self, from: request, context: context)
        let fields = body.fields
        guard !fields.isEmpty else {
            throw IDCAError(.badRequest, code: "missing_field", message: "Send at least one application field to check.")
        }
        var response = try jsonResponse(ValidationResource(services.certification.check(fields)), status: .ok)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    router.get("/v1/reasons") { request, _ -> Response in
        var response = try jsonResponse(ReasonTableResource(ReasonTexts.Language(query: request.uri.queryParameters["lang"])), status: .ok)
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }
}
