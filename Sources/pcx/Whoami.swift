// pcx whoami: argument parsing only (the logic is in PCXHost).
import ArgumentParser
import PCXHost

struct Whoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show which Partner Center and identity pcx uses: target, profile, tenant, app, sign-in, token audiences and expiry.",
        discussion: """
            The target is chosen as `pcx run` chooses it: --sandbox, --profile NAME, PCX_ENDPOINT, PCX_PROFILE, a profile \
            named default, else the embedded sandbox. pcx obtains the access tokens to read them (offline for the embedded \
            sandbox) and never prints them.
            """)
    @OptionGroup var target: TargetOptions
    @OptionGroup var output: OutputFlags

    func run() async throws {
        var options = try target.options()
        options.output = try output.format()
        options.json = options.output == .json
        try finish(await PCXCommands.whoami(options: options))
    }
}
