// pcx profile list|show|add: argument parsing only (the logic is in PCXHost).
import ArgumentParser
import Foundation
import PCXHost

struct ProfileVerb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "List, show and add Partner Center profiles (profiles.toml).",
        discussion: """
            Profiles live in profiles.toml in the configuration directory ($PCX_CONFIG_DIR, else $XDG_CONFIG_HOME/pcx, \
            else ~/.config/pcx), or the file PCX_PROFILE_FILE names. Secrets are never shown, only where they come from.
            """,
        subcommands: [List.self, Show.self, Add.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the profiles: endpoint, tenant, sign-in, and the one pcx uses by default.")
        @OptionGroup var output: OutputFlags
        func run() async throws {
            let options = try outputOptions(output)
            try finish(PCXCommands.profileList(json: options.json, options: options))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one profile's settings and where each comes from (secrets redacted).")
        @OptionGroup var output: OutputFlags
        @Argument(help: "The profile's name.") var name: String
        func run() async throws {
            let options = try outputOptions(output)
            try finish(PCXCommands.profileShow(name: name, json: options.json, options: options))
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a profile to profiles.toml (written atomically, mode 0600).",
            discussion: """
                The client secret is never taken on the command line: pipe it with --client-secret-stdin \
                (printf '%s' "$SECRET" | pcx profile add ...), type it unechoed at the prompt, or leave it out and \
                set PCX_CLIENT_SECRET when you run pcx. For App+User, put the refresh token in a file (mode 0600) \
                and give it as --refresh-token-store. A profile named default is the one pcx uses without --profile.
                """)
        @Argument(help: "The profile's name (letters, digits, '_' and '-').") var name: String
        @Option(help: ArgumentHelp("The partner tenant: its id (a GUID) or domain, e.g. contoso.onmicrosoft.com.", valueName: "tenant"))
        var tenant: String
        @Option(help: ArgumentHelp("The Entra app's client (application) id, a GUID.", valueName: "guid")) var clientId: String
        @Option(help: ArgumentHelp("Partner Center's URL (default https://api.partnercenter.microsoft.com).", valueName: "url"))
        var endpoint: String?
        @Option(help: ArgumentHelp("The token host (default https://login.microsoftonline.com).", valueName: "url")) var authority: String?
        @Option(help: ArgumentHelp("v1 or v2 token endpoint (default v1).", valueName: "version")) var tokenVersion: String?
        @Option(help: ArgumentHelp("File holding the App+User refresh token; pcx keeps the rotated token there.", valueName: "path"))
        var refreshTokenStore: String?
        @Flag(help: "Read the client secret from standard input (a pipe, or typed unechoed) into the profile.")
        var clientSecretStdin = false
        @Option(help: .hidden) var clientSecret: String?
        @Flag(help: "Replace a profile of the same name.") var force = false
        @Flag(help: "Machine-readable JSON output.") var json = false

        func run() async throws {
            if clientSecret != nil { // its value is never repeated
                try finish(PCXCommands.reportUsageError("""
                    --client-secret is not taken on the command line (your shell history and the process list would keep it); \
                    pipe it with --client-secret-stdin, or set PCX_CLIENT_SECRET when you run pcx
                    """, json: json))
            }
            let request = ProfileAddRequest(name: name, tenant: tenant, clientId: clientId, endpoint: endpoint, authority: authority,
                                            tokenVersion: tokenVersion, refreshTokenStore: refreshTokenStore,
                                            clientSecretFromStdin: clientSecretStdin, force: force)
            try finish(PCXCommands.profileAdd(request, json: json, options: HostOptions()))
        }
    }
}
