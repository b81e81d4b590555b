import Foundation

/// A bounded hand-over between one producer task and one consumer: `push` waits while the queue
/// is full, `pop` waits while it is empty. Nobody spins; memory stays at `capacity` items.
/// Used for an export's line batches and for the pages fetched ahead of a script.
actor BoundedQueue<Element: Sendable> {
    private var items: [Element] = []
    private let capacity: Int
    private var consumer: CheckedContinuation<Element?, Never>?
    private var producers: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds an item; returns false when the consumer has gone (the queue was closed).
    @discardableResult
    func push(_ item: Element) async -> Bool {
        while items.count >= capacity && !closed {
            await withCheckedContinuation { producers.append($0) }
        }
        if closed { return false }
        if let waiting = consumer {
            consumer = nil
            waiting.resume(returning: item)
        } else {
            items.append(item)
        }
        return true
    }

    /// The next item, or nil once the queue is closed.
    func pop() async -> Element? {
        if !items.isEmpty {
            let item = items.removeFirst()
            if !producers.isEmpty { producers.removeFirst().resume() }
            return item
        }
        if closed { return nil }
        return await withCheckedContinuation { consumer = $0 }
    }

    /// Ends the hand-over: a waiting producer is told the consumer has gone, a waiting consumer gets nil.
    func close() {
        closed = true
        for p in producers { p.resume() }
        producers.removeAll()
        consumer?.resume(returning: nil)
        consumer = nil
    }
}
