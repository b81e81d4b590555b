import Foundation

/// The pages of a Partner Center collection as an `AsyncSequence` of ``RawResponse``.
///
/// Follows `links.next` as the official SDK does: the next link's URI as-is (with or without
/// `/v1`) plus its headers (`MS-ContinuationToken` for seek paging), stopping when a page has
/// no `next`. Pages are fetched ahead of the caller: a producer task requests the next page as
/// soon as a page has arrived, and keeps at most `prefetchPages` of them waiting (one more in
/// flight), so memory stays flat. Cancelling the consuming task, or dropping the iterator,
/// cancels the fetch in flight.
public struct PageSequence: AsyncSequence, Sendable {
    /// Each page's response.
    public typealias Element = RawResponse

    let client: PartnerCenterClient
    let first: PartnerCenterRequest

    /// Makes an iterator that starts at the first request.
    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, first: first)
    }

    /// What the producer hands the consumer.
    enum Item: Sendable {
        case page(RawResponse)
        case end
        case failure(PartnerCenterError)
    }

    /// Hands out the pages the producer task fetches ahead.
    public final class Iterator: AsyncIteratorProtocol {
        private let client: PartnerCenterClient
        private let first: PartnerCenterRequest
        private var queue: BoundedQueue<Item>?
        private var producer: Task<Void, Never>?
        private var finished = false

        init(client: PartnerCenterClient, first: PartnerCenterRequest) {
            self.client = client
            self.first = first
        }

        deinit { stop() }

        private func stop() {
            producer?.cancel()
            if let queue { Task { await queue.close() } }
        }

        /// The next page, or nil after the last one.
        /// - Throws: ``PartnerCenterError`` (the sequence ends after an error).
        public func next() async throws -> RawResponse? {
            try await advance()
        }

        /// The next page, running on the caller's isolation (no hop, so actors can own the iterator).
        /// - Throws: ``PartnerCenterError`` (the sequence ends after an error).
        public func next(isolation actor: isolated (any Actor)?) async throws -> RawResponse? {
            try await advance(isolation: actor)
        }

        func advance(isolation actor: isolated (any Actor)? = #isolation) async throws -> RawResponse? {
            guard !finished else { return nil }
            let queue = self.queue ?? start()
            let producer = self.producer
            let item = await withTaskCancellationHandler { await queue.pop() } onCancel: {
                producer?.cancel()
                Task { await queue.close() }
            }
            switch item {
            case .page(let page):
                return page
            case .end:
                finished = true
                return nil
            case .failure(let error):
                finished = true
                throw error
            case nil:
                finished = true
                throw PartnerCenterError(category: .cancelled, message: "paging was cancelled")
            }
        }

        private func start() -> BoundedQueue<Item> {
            let queue = BoundedQueue<Item>(capacity: client.configuration.prefetchPages)
            self.queue = queue
            let client = self.client
            let first = self.first
            producer = Task { await fetchPages(client: client, first: first, into: queue) }
            return queue
        }
    }
}

/// Fetches page after page into `queue` until the last page, an error, or the consumer goes.
private func fetchPages(client: PartnerCenterClient, first: PartnerCenterRequest, into queue: BoundedQueue<PageSequence.Item>) async {
    var upcoming: PartnerCenterRequest? = first
    var seen: [PartnerCenterRequest] = []
    while let request = upcoming {
        let page: RawResponse
        do {
            page = try await client.send(request)
        } catch let error as PartnerCenterError {
            await queue.push(.failure(error))
            return
        } catch {
            await queue.push(.failure(PartnerCenterError(category: .cancelled, message: "paging was cancelled")))
            return
        }
        seen.append(page.request)
        upcoming = nil
        if var next = page.nextPageRequest {
            next.requestId = nil
            if seen.contains(where: { $0.path == next.path && $0.query == next.query && $0.continuationToken == next.continuationToken }) {
                await queue.push(.failure(PartnerCenterError(
                    category: .serverError,
                    message: "the collection's next link points back to a page already read (\(next)); stopping to avoid a loop",
                    method: next.method, path: next.path)))
                return
            }
            upcoming = next
        }
        guard await queue.push(.page(page)) else { return }
    }
    await queue.push(.end)
}

/// The items of every page of a collection, decoded as `T` (see ``PageSequence``).
public struct ItemSequence<T: Decodable & Sendable>: AsyncSequence, Sendable {
    /// One item.
    public typealias Element = T

    let pages: PageSequence

    /// Makes an iterator over the items of every page.
    public func makeAsyncIterator() -> Iterator {
        Iterator(pages: pages.makeAsyncIterator())
    }

    /// Yields the items of the current page, then fetches (prefetched) the next page.
    public final class Iterator: AsyncIteratorProtocol {
        private let pages: PageSequence.Iterator
        private var buffer: [T] = []
        private var index = 0

        init(pages: PageSequence.Iterator) { self.pages = pages }

        /// The next item, or nil after the last item of the last page.
        /// - Throws: ``PartnerCenterError``.
        public func next() async throws -> T? {
            while index >= buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = try page.decode(ItemsEnvelope<T>.self).items ?? []
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}

/// `{ "items": [...] }`, or a bare array (check inventory).
struct ItemsEnvelope<T: Decodable>: Decodable {
    var items: [T]?

    private enum CodingKeys: String, CodingKey { case items }

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var result: [T] = []
            while !array.isAtEnd { result.append(try array.decode(T.self)) }
            items = result
            return
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        items = try container.decodeIfPresent([T].self, forKey: .items)
    }
}

/// A `Sendable` handle on a collection's pages, for hosts that keep the position between calls
/// (the Lua bridge's lazy `each`): each ``next()`` returns the next page's raw response, with the
/// following page already being fetched. Calls are serialised by the actor.
public actor PageCursor {
    private let iterator: PageSequence.Iterator
    /// Pages returned so far.
    public private(set) var pagesRead = 0
    /// True once the last page has been returned (or an error ended the walk).
    public private(set) var isFinished = false

    /// Starts a cursor at `request` (nothing is fetched until the first ``next()``).
    public init(client: PartnerCenterClient, request: PartnerCenterRequest) {
        iterator = PageSequence(client: client, first: request).makeAsyncIterator()
    }

    /// The next page, or nil after the last.
    /// - Throws: ``PartnerCenterError``; the cursor is finished afterwards.
    public func next() async throws -> RawResponse? {
        guard !isFinished else { return nil }
        do {
            guard let page = try await iterator.advance() else {
                isFinished = true
                return nil
            }
            pagesRead += 1
            return page
        } catch {
            isFinished = true
            throw error
        }
    }
}

extension PartnerCenterClient {
    /// A ``PageCursor`` over the pages of `request` (see ``pages(of:)``).
    public func cursor(for request: PartnerCenterRequest) -> PageCursor {
        PageCursor(client: self, request: request)
    }
}
