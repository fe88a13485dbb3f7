import IDCACommands

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

exit(await IDCACommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
