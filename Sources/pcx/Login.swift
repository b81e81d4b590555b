// pcx login: argument parsing only (the logic is in PCXHost).
import ArgumentParser
import PCXHost

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in as a user (App+User) with a device code and keep the refresh token for later runs.",
        discussion: """
            The OAuth 2.0 device authorization grant of the Microsoft identity platform: pcx shows a page and a code on \
            stderr, you sign in there (in any browser), and pcx keeps the refresh token in the store the profile names \
            (refresh_token_store or PCX_REFRESH_TOKEN_STORE; a file, mode 0600), else in the Secret Service keyring when \
            one answers, else in $PCX_DATA_DIR/refresh-tokens/. The target is chosen as `pcx run` chooses it. Ctrl-C \
            stops the wait (exit 130). Exit 1 when the sign-in is refused (declined, expired), 2 for a bad configuration.
            """)
    @Flag(help: "Sign in with a device code (the sign-in pcx performs).") var deviceCode = false
    @OptionGroup var target: TargetOptions
    @Flag(help: "Machine-readable JSON output (the sign-in message as one JSON line on stderr).") var json = false

    func run() async throws {
        var options = try target.options()
        options.json = json
        try finish(await PCXCommands.login(options: options, deviceCode: deviceCode))
    }
}
