import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client does not deliver a request's headers in time. The clock
/// starts when the connection opens and when the first bytes of a next request arrive on a
/// kept-alive connection (an idle connection is the idle timeout's business), and stops at the
/// request head. The HTTP/1 decoder only passes a head on once every header line has arrived, so
/// a client trickling header bytes ("slowloris") cannot hold a connection open. It also closes
/// the connection after a 413, so the rest of an oversized body is never read.
final class HeaderReadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    /// Requests whose head arrived and whose response has not ended yet.
    private var inFlight = 0
    /// Set when a 413 is being written: the connection closes after it.
    private var closeAfterResponse = false

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        // sees the raw bytes before the decoder, to start the clock for a kept-alive connection's next request
        try? context.pipeline.syncOperations.addHandler(RawBytesObserver(owner: self), position: .first)
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil { arm(context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { disarm() }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            inFlight += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            // a refused oversized body is not read: the connection closes once the 413 is out
            if head.status.code == 413 { closeAfterResponse = true }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            inFlight = max(0, inFlight - 1)
            guard closeAfterResponse else { context.write(data, promise: promise); return }
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { result in
                promise?.completeWith(result)
                channel.close(promise: nil)
            }
            context.writeAndFlush(data, promise: written)
        }
    }

    /// Bytes arrived on the connection: the start of a request when none is in flight.
    fileprivate func bytesArrived(_ context: ChannelHandlerContext) {
        if inFlight == 0, timer == nil { arm(context) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

/// Tells ``HeaderReadTimeoutHandler`` when bytes arrive (same channel, same event loop).
private final class RawBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let owner: HeaderReadTimeoutHandler

    init(owner: HeaderReadTimeoutHandler) { self.owner = owner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        owner.bytesArrived(context)
        context.fireChannelRead(data)
    }
}
