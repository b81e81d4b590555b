import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels
import Synchronization

/// The lines of a ready export, blob after blob, as the bytes arrive: each blob is downloaded
/// (plain GET with the SAS, no Authorization), inflated and split into batches by a producer task
/// that runs at most a few batches ahead of the consumer (bounded memory, whatever the export's
/// size). Blobs fully handed out are recorded in the checkpoint; with `resume`, blobs an earlier
/// run consumed are skipped. An expired SAS (403 from storage) is renewed by re-reading the
/// operation (or a new export when it is gone); a dropped connection or a truncated gzip retries
/// the blob, skipping the lines already delivered. A changed `eTag` while reading is an error:
/// the data changed, and is to be read again.
public final class GraphLineStream: Sendable {
    /// The export as it was opened.
    public let handle: GraphExportHandle
    private let queue = BoundedQueue<BatchItem>(capacity: 4)
    private let store: (any GraphCheckpointStore)?
    private let state: Mutex<State>
    private let producer = Mutex<Task<Void, Never>?>(nil)

    struct State {
        var checkpoint: GraphExportCheckpoint
        var pendingBlob: String?
        var finished = false
        var lines = 0
        var blobsDone = 0
    }

    init(handle: GraphExportHandle, store: (any GraphCheckpointStore)?) {
        self.handle = handle
        self.store = store
        self.state = Mutex(State(checkpoint: handle.checkpoint))
    }

    /// Lines handed out so far, and blobs completed (this run).
    public var progress: (lines: Int, blobs: Int) { state.withLock { ($0.lines, $0.blobsDone) } }

    /// The next batch, or nil at the end (the checkpoint is then removed).
    /// - Throws: ``PartnerCenterError``.
    public func next() async throws -> GraphBatch? {
        markPending()
        switch await queue.pop() ?? .failure(PartnerCenterError(category: .cancelled, message: "the export stream was closed")) {
        case .batch(let batch):
            state.withLock {
                $0.lines += batch.count
                if batch.endOfBlob { $0.pendingBlob = batch.blob }
            }
            return batch
        case .end:
            markPending()
            state.withLock { $0.finished = true }
            store?.remove(handle.request.key)
            return nil
        case .failure(let error):
            throw error
        }
    }

    /// Stops reading (the consumer broke off): the producer ends, the checkpoint stays.
    public func close() {
        producer.withLock { $0?.cancel() }
        Task { await queue.close() }
    }

    private func markPending() {
        let checkpoint: GraphExportCheckpoint? = state.withLock { s in
            guard let blob = s.pendingBlob else { return nil }
            s.pendingBlob = nil
            s.blobsDone += 1
            if !s.checkpoint.consumedBlobs.contains(blob) { s.checkpoint.consumedBlobs.append(blob) }
            return s.checkpoint
        }
        if let checkpoint { try? store?.save(checkpoint) }
    }

    /// The manifest changed under the reader (a renewed SAS, or a new export of the same data):
    /// keep it in the checkpoint, consumed blobs under the new manifest's names (same positions).
    func adopt(_ manifest: GraphBilling.Manifest, operationURL: String) {
        let checkpoint = state.withLock { s -> GraphExportCheckpoint in
            let oldNames = s.checkpoint.manifest?.blobs.map(\.name) ?? []
            s.checkpoint.consumedBlobs = s.checkpoint.consumedBlobs.map { name in
                oldNames.firstIndex(of: name).flatMap { $0 < manifest.blobs.count ? manifest.blobs[$0].name : nil } ?? name
            }
            s.checkpoint.manifest = manifest
            s.checkpoint.operationURL = operationURL
            return s.checkpoint
        }
        try? store?.save(checkpoint)
    }

    func start(_ body: @escaping @Sendable (BoundedQueue<BatchItem>) async -> Void) {
        let queue = self.queue
        producer.withLock { $0 = Task { await body(queue) } }
    }
}

/// What the producer hands the consumer.
enum BatchItem: Sendable {
    case batch(GraphBatch)
    case end
    case failure(any Error)
}

/// A blob download that failed in a way the producer handles.
enum BlobFailure: Error {
    /// 403 from storage: the SAS expired (or was refused).
    case sasRefused(String)
    /// Worth another try of the same blob (connection dropped, truncated gzip, 5xx), after `delay` seconds.
    case transient(PartnerCenterError, delay: Double?)
}

extension PartnerCenterClient {
    /// Opens the lines of a ready export (see ``prepareExport(_:store:timeout:onWait:)``).
    /// `resume`: skip the blobs an earlier run consumed (for consumers that kept their lines).
    /// `skipping`: blobs the consumer already has (a database's loaded blobs).
    public func lines(of handle: GraphExportHandle, store: (any GraphCheckpointStore)?, resume: Bool = false,
                      skipping: Set<String> = []) -> GraphLineStream {
        let stream = GraphLineStream(handle: handle, store: store)
        let skip = (resume ? Set(handle.checkpoint.consumedBlobs) : []).union(skipping)
        stream.start { queue in
            do {
                try await self.produce(stream, skip: skip, queue: queue)
                await queue.push(.end)
            } catch {
                await queue.push(.failure(error))
            }
        }
        return stream
    }

    private func produce(_ stream: GraphLineStream, skip: Set<String>, queue: BoundedQueue<BatchItem>) async throws {
        var manifest = stream.handle.manifest
        var operationURL = stream.handle.checkpoint.operationURL
        let request = stream.handle.request
        for (index, blob) in manifest.blobs.enumerated() where !skip.contains(blob.name) {
            var delivered = 0
            var failures = 0
            while true {
                try Task.checkCancellation()
                do {
                    try await streamBlob(manifest, index: index, dataSet: request.export.dataSet, skip: delivered, queue: queue) { delivered += $0 }
                    break
                } catch BlobFailure.sasRefused(let code) {
                    failures += 1
                    guard failures <= 3 else { throw sasFailure(code, request) }
                    (manifest, operationURL) = try await renewedManifest(request, manifest, operationURL: operationURL, refusedAgain: failures > 1)
                    stream.adopt(manifest, operationURL: operationURL)
                } catch BlobFailure.transient(let error, let delay) {
                    failures += 1
                    guard failures < max(2, configuration.retry.maxAttempts) else { throw error }
                    let wait = delay.map { Duration.milliseconds(Int64($0 * 1000)) } ?? configuration.retry.backoff(forRetry: failures - 1, unit: Double.random(in: 0.5...1))
                    try await graphPause(wait, operation: "reading \(request.summary)")
                }
            }
        }
    }

    /// A fresh manifest for an export whose SAS storage refused: the same operation read again,
    /// or a new export when the operation is gone, or when reading it again gave back the SAS that
    /// storage just refused a second time (a SAS past its expiry is not renewed by the operation).
    /// A different `eTag` is an error (the data changed).
    func renewedManifest(_ request: GraphExportRequest, _ old: GraphBilling.Manifest, operationURL: String, refusedAgain: Bool = false) async throws
        -> (GraphBilling.Manifest, String) {
        var url = operationURL
        var fresh: GraphBilling.Manifest
        do {
            fresh = try await awaitManifest(request, url, timeout: .seconds(1800), onWait: nil)
        } catch let error as PartnerCenterError where error.category == .notFound {
            url = try await startExport(request)
            fresh = try await awaitManifest(request, url, timeout: .seconds(1800), onWait: nil)
        }
        if refusedAgain && fresh.sasToken == old.sasToken {
            url = try await startExport(request)
            fresh = try await awaitManifest(request, url, timeout: .seconds(1800), onWait: nil)
        }
        guard fresh.eTag == old.eTag, fresh.blobs.count == old.blobs.count else {
            throw PartnerCenterError(
                category: .conflict,
                message: "the \(request.summary) changed while it was read (eTag \(old.eTag ?? "none") → \(fresh.eTag ?? "none"))",
                hint: "run again: the new version is read from its first blob")
        }
        return (fresh, url)
    }

    private func sasFailure(_ code: String, _ request: GraphExportRequest) -> PartnerCenterError {
        PartnerCenterError(
            category: .forbidden, message: "Azure Storage keeps refusing the \(request.summary) blobs (\(code)) even with a renewed SAS",
            hint: "check the machine's clock (a SAS is valid for a time window), then run again")
    }

    /// Downloads, inflates and splits one blob into batches on `queue`; `delivered` gets each batch's line count.
    private func streamBlob(
        _ manifest: GraphBilling.Manifest, index: Int, dataSet: GraphBilling.DataSet, skip: Int, queue: BoundedQueue<BatchItem>,
        delivered: (Int) -> Void
    ) async throws {
        let blob = manifest.blobs[index]
        let url = manifest.url(of: blob)
        let response = try await openBlob(url)
        let inflater = try GzipInflater()
        let assembler = LineAssembler(dataSet: dataSet, skip: skip)
        func send(_ batches: [(Data, Int)], last: Bool) async throws {
            for (i, (json, count)) in batches.enumerated() {
                let end = last && i == batches.count - 1
                guard await queue.push(.batch(GraphBatch(json: json, count: count, blob: blob.name, blobIndex: index, endOfBlob: end))) else {
                    throw CancellationError()
                }
                delivered(count)
            }
        }
        do {
            for try await buffer in response.body {
                var ready: [(Data, Int)] = []
                try buffer.withUnsafeReadableBytes { raw in try inflater.feed(raw) { ready += assembler.take($0) } }
                try await send(ready, last: false)
            }
            try inflater.finish()
        } catch let error as GzipError {
            throw BlobFailure.transient(PartnerCenterError(category: .serverError, message: "blob \(blob.name): \(error)", path: pathOf(url)), delay: nil)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as PartnerCenterError {
            throw error
        } catch {
            let (category, text) = classifyTransportError(error)
            throw BlobFailure.transient(PartnerCenterError(category: category, message: "blob \(blob.name): \(text)", path: pathOf(url)), delay: nil)
        }
        var last = try assembler.finish()
        if last.isEmpty { last = [(Data("[]".utf8), 0)] }
        try await send(last, last: true)
    }

    /// GETs a blob (no Authorization: the SAS authorizes); maps storage errors.
    private func openBlob(_ url: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "x-ms-client-request-id", value: UUID().uuidString.lowercased())
        counters.bump(\.requestsSent)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .now() + .hours(6))
        } catch {
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            let (category, text) = classifyTransportError(error)
            throw BlobFailure.transient(PartnerCenterError(category: category, message: "storage unreachable: \(text)", path: pathOf(url)), delay: nil)
        }
        let status = Int(response.status.code)
        if status == 200 { return response }
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
        let storage = GraphBilling.StorageError(xml: body)
        let code = storage?.code ?? response.headers.first(name: "x-ms-error-code") ?? "HTTP \(status)"
        if status == 403 { throw BlobFailure.sasRefused(code) }
        let error = PartnerCenterError(
            category: Self.graphCategory(status), message: "Azure Storage answered HTTP \(status) (\(code)) for a blob: \(storage?.message ?? "")",
            status: status, pcCode: code, method: "GET", path: pathOf(url))
        if status == 429 || status >= 500 {
            throw BlobFailure.transient(error, delay: response.headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) })
        }
        throw error
    }
}
