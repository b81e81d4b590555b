// swift-tools-version: 6.2
// pcx: a Lua-scriptable Partner Center client for Azure Reserved VM Instance purchases.
// Layers (arrows point down only):
//   pcx -> PCXHost -> {LuaRuntime, PartnerCenter, PartnerCenterSandbox}
//   PartnerCenter -> PartnerCenterModels, PartnerCenterSandbox -> PartnerCenterModels
//   LuaRuntime -> CLuaShim -> CLua
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
]

let package = Package(
    name: "pcx",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pcx", targets: ["pcx"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // already in the graph through Hummingbird: the sandbox's header read timeout sees its HTTP parts
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // reconciliation exports loaded into PostgreSQL (`--to postgres://…`), with COPY FROM STDIN
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // profiles.toml: a real TOML parser (toml++ underneath), with source positions in its errors
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // Debian's liblua5.4-dev through pkg-config.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // libedit (BSD licence) for the REPL's line editing and history.
        .systemLibrary(
            name: "CLibEdit",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // Debian's zlib1g-dev: gzip for Graph reconciliation blobs (client inflate, sandbox deflate).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // C: Lua's macros as functions, the call trampoline, allocator, hook, JSON codec.
        .target(name: "CLuaShim", dependencies: ["CLua"]),
        .target(name: "CJSONScan"),
        .target(name: "LuaRuntime", dependencies: ["CLuaShim"], exclude: ["lua"], swiftSettings: strict, plugins: ["EmbedLua"]),
        // The wire contract; gzip is part of it (Graph blobs are gzip JSON lines).
        .target(name: "PartnerCenterModels", dependencies: ["CZlib"], swiftSettings: strict),
        .target(
            name: "PartnerCenter",
            dependencies: [
                "CJSONScan",
                "PartnerCenterModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PartnerCenterSandbox",
            dependencies: [
                "PartnerCenterModels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "PCXHost",
            dependencies: [
                "LuaRuntime", "PartnerCenter", "PartnerCenterModels", "PartnerCenterSandbox", "CLibEdit", "CJSONScan",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API under GRDB: Graph exports bind a million rows without per-row allocations.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["lua"],
            swiftSettings: strict,
            plugins: ["EmbedLua"]
        ),
        .executableTarget(
            name: "pcx",
            dependencies: [
                "PCXHost",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // main.swift holds `@main`; with more than one file SwiftPM no longer passes this itself
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])]
        ),
        // Build tool: turns stdlib/*.lua, stdlib/meta/*.lua and scripts/*.lua into Swift sources.
        .executableTarget(name: "embed-lua", path: "Plugins/EmbedLuaTool"),
        .plugin(name: "EmbedLua", capability: .buildTool(), dependencies: ["embed-lua"]),

        .testTarget(name: "LuaRuntimeTests", dependencies: ["LuaRuntime"], swiftSettings: strict),
        .testTarget(
            name: "PartnerCenterModelsTests",
            dependencies: ["PartnerCenterModels"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PartnerCenterSandboxTests",
            dependencies: [
                "PartnerCenterSandbox", "PartnerCenterModels",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PartnerCenterTests",
            dependencies: ["PartnerCenter", "PartnerCenterSandbox", "PartnerCenterModels"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PCXHostTests",
            dependencies: ["PCXHost", "LuaRuntime", "PartnerCenter", "PartnerCenterSandbox", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
    ]
)
