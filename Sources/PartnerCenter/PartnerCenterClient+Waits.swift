import Foundation
import PartnerCenterModels

/// Waits built on declared operations: poll with backoff until a state is reached.
extension PartnerCenterClient {
    /// Polls the registration status (`subscriptions.registration_status`) until it is
    /// `Registered`, backing off between polls (`initialDelay`, doubling up to `maxDelay`).
    /// - Returns: the last status response (its body is Partner Center's JSON).
    /// - Throws: ``PartnerCenterError`` (`timeout` naming the last status seen when the deadline passes).
    public func waitUntilRegistered(
        customerId: String, subscriptionId: String, timeout: Duration = .seconds(300),
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(30)
    ) async throws -> RawResponse {
        let operation = OperationCatalog["subscriptions.registration_status"]
        let arguments: OperationArguments = ["customer_id": .string(customerId), "subscription_id": .string(subscriptionId)]
        return try await poll(operation, arguments, timeout: timeout, initialDelay: initialDelay, maxDelay: maxDelay) { response in
            let status = try response.decode(SubscriptionRegistrationStatus.self).status
            return (status == .registered, status?.wireValue ?? "unknown")
        } late: { last, waited in
            PartnerCenterError(
                category: .timeout,
                message: "subscription \(subscriptionId) of customer \(customerId) is still \(last) after \(formatSeconds(waited))",
                hint: "registration can take a while; wait longer, and make sure the subscription was registered")
        }
    }

    /// Polls an order (`orders.get`) until it is completed, failed or cancelled.
    /// - Returns: the last order response.
    /// - Throws: ``PartnerCenterError`` (`timeout`, saying the order was placed, when the deadline passes).
    public func waitUntilOrderSettled(
        customerId: String, orderId: String, timeout: Duration = .seconds(600),
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(10)
    ) async throws -> RawResponse {
        let operation = OperationCatalog["orders.get"]
        let arguments: OperationArguments = ["customer_id": .string(customerId), "order_id": .string(orderId)]
        return try await poll(operation, arguments, timeout: timeout, initialDelay: initialDelay, maxDelay: maxDelay) { response in
            let status = try response.decode(Order.self).status
            return ([.completed, .cancelled, .error].contains(status) || status?.wireValue.lowercased() == "failed", status?.wireValue ?? "pending")
        } late: { last, waited in
            PartnerCenterError(
                category: .timeout,
                message: "order \(orderId) of customer \(customerId) is still \(last) after \(formatSeconds(waited))",
                hint: "the order was placed; check it later with pc.orders.get or `pcx journal list`")
        }
    }

    /// Sends `operation` until `settled` says so, sleeping with backoff in between.
    private func poll(
        _ operation: APIOperation, _ arguments: OperationArguments, timeout: Duration, initialDelay: Duration, maxDelay: Duration,
        settled: (RawResponse) throws -> (Bool, String), late: (String, Double) -> PartnerCenterError
    ) async throws -> RawResponse {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var delay = initialDelay
        while true {
            let response = try await send(operation, arguments)
            let (done, state) = try settled(response)
            if done { return response }
            let remaining = deadline - clock.now
            guard remaining > .zero else {
                var error = late(state, timeout.seconds)
                error.method = response.request.method
                error.path = response.request.path
                throw error
            }
            do {
                try await configuration.sleeper(min(delay, remaining))
            } catch {
                throw PartnerCenterError(category: .cancelled, message: "waiting for \(operation.name) was cancelled")
            }
            delay = min(maxDelay, delay * 2)
        }
    }
}
