import PackagePlugin

/// Compiles each `.tsv` file of a target into a Swift string constant (`embedded_<name>`).
///
/// Why not SwiftPM's own resource support: `.copy`/`.process` need Foundation's `Bundle` at run
/// time and tie the binary to a bundle folder beside it, and `.embedInCode` emits a `[UInt8]`
/// literal that took 78 s to compile here for the 180 KB region table; a raw string literal takes
/// under a second.
@main
struct EmbedTextResourcePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let tool = try context.tool(named: "EmbedTextResource")
        return target.sourceFiles
            .filter { $0.url.pathExtension == "tsv" }
            .map { file in
                let name = file.url.deletingPathExtension().lastPathComponent
                let output = context.pluginWorkDirectoryURL.appending(path: "\(name)+Embedded.swift")
                return .buildCommand(
                    displayName: "Embedding \(file.url.lastPathComponent)",
                    executable: tool.url,
                    arguments: [file.url.path(), output.path(), name],
                    inputFiles: [file.url],
                    outputFiles: [output]
                )
            }
    }
}
