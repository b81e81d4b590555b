import Foundation
import PartnerCenter
import PartnerCenterSandbox
import Testing

/// The client's device-code sign-in and refresh-token store, against the sandbox over loopback.
@Suite("Client against the sandbox: device-code sign-in")
struct DeviceCodeClientTests {
    @Test("an approved sign-in returns the refresh token and the user's token; a client reading that store signs in as the user")
    func approvedSignIn() async throws {
        try await withSandbox({ $0.deviceCode = try DeviceCodeOptions.parse("interval=1,approve-after=1") },
                              client: { $0.refreshToken = nil; $0.clientSecret = nil }) { h, client in
            let challenge = try await client.requestDeviceCode()
            #expect(challenge.interval == 1 && challenge.expiresIn == 900)
            #expect(challenge.verificationURI == h.endpoint + "/devicelogin")
            #expect(challenge.message.contains(challenge.userCode))
            #expect(client.deviceCodeScope == "https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile")
            let signIn = try await client.awaitDeviceCodeSignIn(challenge)
            #expect(signIn.token.user == "admin@\(h.sandbox.credentials.domain)")
            #expect(signIn.token.identityType == "user" && signIn.token.scopes == ["user_impersonation"])
            #expect(h.sleeps.recorded == [.seconds(1)], "one interval before the one poll")
            let refresh = signIn.refreshToken.reveal()
            #expect(refresh.hasPrefix("pcxrt.") && "\(signIn.refreshToken)" == "[REDACTED]")

            let path = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-rt-\(UUID().uuidString.prefix(8))").path
            try RefreshTokenStore(path: path).writeToken(refresh)
            let reader = try h.client { $0.refreshToken = nil; $0.clientSecret = nil; $0.refreshTokenStore = path }
            let info = try await reader.accessTokenInfo()
            #expect(info.user == "admin@\(h.sandbox.credentials.domain)")
            guard case .token(let rotated) = RefreshTokenStore(path: path).content else { Issue.record("no token in the store"); return }
            #expect(rotated.reveal() != refresh, "the rotated token replaced the signed-in one")
            try? await reader.shutdown()
        }
    }

    @Test("polls too early are answered slow_down, each adding 5 s to the wait; cancelling ends the wait with cancelled")
    func slowDownAndCancel() async throws {
        // the recording sleeper does not sleep, so every poll after the first comes too early
        // (the default 5 s interval: however slow the machine, the next poll is well inside it)
        try await withSandbox { h, client in
            let challenge = try await client.requestDeviceCode()
            let events = LockedBox<[DeviceCodeProgress]>([])
            let work = Task {
                try await client.awaitDeviceCodeSignIn(challenge) { event in
                    events.mutate { $0.append(event) }
                    if events.value.count == 3 { withUnsafeCurrentTask { $0?.cancel() } }
                }
            }
            let error = await #expect(throws: PartnerCenterError.self) { try await work.value }
            #expect(error?.category == .cancelled && error?.message == "the sign-in was cancelled: nothing was stored")
            #expect(events.value == [.pending(interval: 5), .slowDown(interval: 10), .slowDown(interval: 15)])
            #expect(h.sleeps.recorded == [.seconds(5), .seconds(5), .seconds(10), .seconds(15)])
        }
    }

    @Test("declined and expired sign-ins end with unauthenticated errors that say nothing was stored")
    func refusals() async throws {
        try await withSandbox({ $0.deviceCode = try DeviceCodeOptions.parse("interval=1,decline-after=1") }) { _, client in
            let challenge = try await client.requestDeviceCode()
            let error = await #expect(throws: PartnerCenterError.self) { try await client.awaitDeviceCodeSignIn(challenge) }
            #expect(error?.category == .unauthenticated && error?.message == "the sign-in was declined (authorization_declined): nothing was stored")
        }
        try await withSandbox({ $0.deviceCode = try DeviceCodeOptions.parse("interval=1,expires-in=2s") },
                              client: { $0.sleeper = { try await Task.sleep(for: $0) } }) { _, client in
            let challenge = try await client.requestDeviceCode()
            let error = await #expect(throws: PartnerCenterError.self) { try await client.awaitDeviceCodeSignIn(challenge) }
            #expect(error?.category == .unauthenticated && error?.message.contains("expired before the sign-in finished (expired_token)") == true)
        }
    }

    @Test("a store file holds a token, the name of a keyring item, or nothing; one that cannot be written says why")
    func storeContent() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-store-\(UUID().uuidString.prefix(8))")
        let store = RefreshTokenStore(path: dir.appendingPathComponent("a/b/rt").path)
        #expect(store.content == .empty)
        #expect(store.unwritableReason == nil, "missing directories are made")
        try store.writeKeyringReference(item: "0f1e2d3c")
        #expect(store.content == .keyring(item: "0f1e2d3c"))
        #expect(try String(contentsOfFile: store.path, encoding: .utf8) == "secret-service:0f1e2d3c\n")
        try store.writeToken("pcxrt.abc")
        #expect(store.content == .token(Secret("pcxrt.abc")))
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(RefreshTokenStore(path: dir.path).unwritableReason == "it is a directory")
        #expect(RefreshTokenStore(path: store.path + "/under-a-file").unwritableReason == "\(store.path) is a file, not a directory")
        #expect(store.keyringLabel == "pcx refresh token (rt)")
    }
}
