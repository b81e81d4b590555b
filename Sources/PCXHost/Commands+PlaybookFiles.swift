import Foundation
import LuaRuntime
import PartnerCenter

/// How `pcx run FILE WORDS...` splits its words when FILE is a playbook file: as
/// `pcx playbook run NAME` does, pcx's options may follow the file and the playbook's declared
/// parameters win over pcx's options of the same name.
public struct PlaybookFileArguments: Sendable, Equatable {
    /// pcx's own options among the words, with their values.
    public var host: [String]
    /// The playbook's parameters (and anything it does not declare, which it refuses).
    public var rest: [String]
    /// `--help` (or `-h`) is among the playbook's words: show its parameters, run nothing.
    public var help: Bool
}

extension PCXCommands {
    /// The split of `pcx run FILE WORDS...` when FILE is a playbook file and a word before `--`
    /// starts with `-`; nil otherwise (a plain script, or a file that does not load as a
    /// playbook: the run reports it). Cheap for a plain script: its words are checked first, then
    /// its text (a playbook returns `playbook { ... }`); only a playbook's declaration is loaded,
    /// in a VM of its own, to read its parameters.
    /// - Throws: ``UsageError`` for a misspelt pcx option among the words.
    public static func playbookFileArguments(_ words: [String], script: String,
                                             hostOptions: @autoclosure () -> [String: Int]) async throws -> PlaybookFileArguments? {
        guard words.prefix(while: { $0 != "--" }).contains(where: { $0.hasPrefix("-") }),
              let data = FileManager.default.contents(atPath: script),
              looksLikePlaybook(String(decoding: data, as: UTF8.self)),
              let text = try? await describePlaybookFile(script, expression: "json.encode(pbm.describe(pb))"),
              let declared = try? parameterArity(text) else { return nil }
        let hint = "`\(commandLine(["pcx", "run", script, "--help"]))` lists the playbook's parameters, `pcx run --help` pcx's own options"
        let split = try splitParameters(words, declared: declared, hostOptions: hostOptions(), checkSpelling: true, hint: hint)
        let help = declared["--help"] == nil && split.rest.prefix { $0 != "--" }.contains { $0 == "--help" || $0 == "-h" }
        return PlaybookFileArguments(host: split.host, rest: split.rest, help: help)
    }

    /// Whether Lua source text returns a playbook declaration (`return playbook {`, or through
    /// `require "playbook".declare`), as the README describes a playbook file.
    static func looksLikePlaybook(_ text: String) -> Bool {
        let pattern = #"(?m)^[ \t]*return[ \t]+(playbook|require[ \t]*\(?[ \t]*["']playbook["'][ \t]*\)?[ \t]*\.[ \t]*declare)[ \t]*[({]"#
        return text.range(of: pattern, options: .regularExpression) != nil
    }

    /// Loads a playbook file's declaration (without running the playbook) in a VM of its own and
    /// evaluates `expression` on it (`pb` is the declaration, `pbm` the playbook module).
    static func describePlaybookFile(_ path: String, expression: String) async throws -> String {
        let session = Session(options: HostOptions(), script: path)
        let host = try ScriptHost(session: session)
        defer { host.close() }
        let command = commandLine(["pcx", "run", path])
        return try await host.vm.perform { ctx in
            let results = try ctx.runFile(path, args: [])
            guard case .table(let t)? = results.first, t.metatableName == "pcx.Playbook" else {
                throw LuaError(kind: .runtime, message: "the file does not return a playbook { ... } declaration", location: path)
            }
            let r = try ctx.run("local pbm, json = require 'playbook', require 'json'; pbm.command = ...; local pb = pbm.last; return \(expression)",
                                name: "=[pcx playbook]", args: [command])
            return r.first?.stringValue ?? ""
        }
    }

    /// `pcx run PLAYBOOK-FILE --help`: the playbook's parameters on stdout, exit 0 (as
    /// `pcx playbook run NAME --help`).
    public static func playbookFileHelp(_ path: String, json: Bool) async -> Int32 {
        do {
            print(try await describePlaybookFile(path, expression: "pbm.help(pb)"))
            return ExitCode.ok.rawValue
        } catch {
            return reportDescribeFailure(error, json: json)
        }
    }

    /// A playbook's declaration could not be read (a Lua error as pcx renders one, or another
    /// failure as an error report): printed, with its exit status.
    static func reportDescribeFailure(_ error: any Error, json: Bool) -> Int32 {
        if let e = error as? LuaError {
            let r = render(e, json: json)
            printError(r.text)
            return r.exitCode
        }
        return ErrorReport((raisable(error) as? PartnerCenterError) ?? PartnerCenterError(category: .scriptError, message: "\(error)"))
            .print(json: json)
    }
}
