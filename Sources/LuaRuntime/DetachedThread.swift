import CLuaShim
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A detached POSIX thread that runs one closure.
///
/// Foundation's `Thread` does the same with bookkeeping (`Thread.current`, its name as a Swift
/// string) whose first use costs a start-up some 0.1 ms per thread; pcx starts two threads for
/// every run (the Lua VM and the Ctrl-C reader).
enum DetachedThread {
    /// Starts `body` on a new thread named `name` (at most 15 bytes are kept).
    /// - Returns: the thread, or nil when it cannot be created (the error number is in `errno`).
    @discardableResult
    static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var id = pthread_t()
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        let created = pthread_create(&id, &attributes, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            pcxl_name_thread(body.name)
            body.run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            errno = created
            return nil
        }
        return id
    }

    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}
