// swift-tools-version: 6.2
// pcx: a Lua-scriptable Partner Center client for Azure Reserved VM Instance purchases.
// Layers (arrows point down only):
//   pcx -> PCXHost -> {LuaRuntime, PartnerCenter, PartnerCenterSandbox}
//   PartnerCenter -> PartnerCenterModels, PartnerCenterSandbox -> PartnerCenterModels
//   LuaRuntime -> CLuaShim -> CLua
import PackageDescription

/// The package's directory (for linker inputs named by path).
let packageRoot = String(#filePath.dropLast("/Package.swift".count))

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // Start-up: a concrete generic type (`[String: String]`, `Set<UInt8>`) gets its metadata from an
    // accessor that passes the conformances it needs, instead of from its mangled name, whose
    // requirement check scans all ~12,000 conformance records of the binary (once per type and
    // protocol: seven scans, some 1.2 ms of a `pcx run`). Release only: debug builds keep the
    // smaller mangled-name code.
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
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
        // System libraries, named without pkg-config so that a release build can link them statically
        // (`make release`: `-L` to a directory of their `.a` files, see tools/static-libs); the
        // headers are found under /usr/include.
        // Debian's liblua5.4-dev (<lua5.4/lua.h>).
        .systemLibrary(
            name: "CLua",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // libedit (BSD licence) for the REPL's line editing and history.
        .systemLibrary(
            name: "CLibEdit",
            providers: [.apt(["libedit-dev"])]
        ),
        // Debian's zlib1g-dev: gzip for Graph reconciliation blobs (client inflate, sandbox deflate).
        .systemLibrary(
            name: "CZlib",
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
            exclude: ["exports.map"],
            // main.swift holds `@main`; with more than one file SwiftPM no longer passes this itself
            swiftSettings: strict + [.unsafeFlags(["-parse-as-library"])],
            // Start-up: export nothing but `main`. Swift links executables with every symbol in the
            // dynamic table (56,000 here), and the runtime's start-up `dladdr` scans them all:
            // 5 ms of a 10 ms `pcx --version`. No C module is loaded into pcx, so nothing needs them.
            // And a fixed-address (non-PIE) executable, as Go links its static binaries: a PIE of
            // this size carries 153,000 relative relocations that the loader applies at every
            // start, writing (and so copying) 470 pages of data: 2.8 of 5.3 ms of `--version`.
            // Shared libraries, the stack and the heap are still placed at random.
            linkerSettings: [
                .unsafeFlags(["-Xlinker", "--version-script=\(packageRoot)/Sources/pcx/exports.map",
                              "-Xclang-linker", "-no-pie"],
                             .when(platforms: [.linux], configuration: .release)),
            ]
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
