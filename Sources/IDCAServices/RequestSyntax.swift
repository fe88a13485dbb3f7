import IDCATokens

/// Syntax checks the HTTP layer applies to request bodies before decoding them.
public enum RequestSyntax {
    /// One JSON text, each member name at most once per object (see `isStrictJSON`).
    public static func isStrictJSON(_ bytes: [UInt8]) -> Bool {
        IDCATokens.isStrictJSON(bytes)
    }
}
