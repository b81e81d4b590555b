import Foundation
import Testing
@testable import LuaRuntime

/// A fresh temporary directory, removed by the caller with `cleanup`.
func makeTempDir(_ label: String = "pcx-lua") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appending(path: "\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return URL(fileURLWithPath: LuaVMCore.realpath(url.path)!)
}

func cleanup(_ url: URL) { try? FileManager.default.removeItem(at: url) }

/// A VM with test-friendly options (a generous timeout so a bug fails instead of hanging).
func makeVM(_ configure: (inout LuaVMOptions) -> Void = { _ in }) throws -> LuaVM {
    var o = LuaVMOptions()
    o.timeout = 60
    configure(&o)
    return try LuaVM(options: o)
}

/// Runs a chunk and returns its LuaError (or records an issue when it succeeds).
func expectLuaError(_ vm: LuaVM, _ source: String, name: String = "test.lua",
                    sourceLocation: SourceLocation = #_sourceLocation) async -> LuaError? {
    do {
        let r = try await vm.runChunk(source, name: name)
        Issue.record("expected an error, got \(r)", sourceLocation: sourceLocation)
        return nil
    } catch let e as LuaError {
        return e
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The worktree's root (for stdlib/ files).
let packageRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url = url.deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appending(path: "Package.swift").path) { return url }
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
}()
