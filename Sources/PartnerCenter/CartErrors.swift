import Foundation
import PartnerCenterModels

extension PartnerCenterError {
    /// The error for a cart line Partner Center flagged (`lineItems[i].error`), which arrives
    /// inside a successful 201 rather than as an HTTP error.
    ///
    /// Category `invalid_argument`, ``pcCode`` the CartErrorCode (e.g. `10011`), and the known
    /// remediation as ``hint``.
    public static func cartLine(
        errorCode: Int, description: String?, lineId: Int?, customerId: String? = nil, cartId: String? = nil
    ) -> PartnerCenterError {
        let line = lineId.map { "line \($0)" } ?? "a line"
        let cart = cartId.map { "cart \($0)" } ?? "the cart"
        return PartnerCenterError(
            category: .invalidArgument,
            message: "\(line) of \(cart) was refused: \(description ?? "error \(errorCode)")",
            pcCode: String(errorCode),
            path: customerId.map { cid in
                cartId.map { OperationCatalog["carts.get"].requestPath(["customer_id": cid, "cart_id": $0]) }
                    ?? OperationCatalog["carts.create"].requestPath(["customer_id": cid])
            })
    }
}

extension Cart {
    /// One ``PartnerCenterError`` per line that carries an `error` (empty when the cart is clean).
    public func lineErrors(customerId: String? = nil) -> [PartnerCenterError] {
        (lineItems ?? []).compactMap { line in
            guard let error = line.error else { return nil }
            return PartnerCenterError.cartLine(
                errorCode: error.errorCode ?? 0, description: error.errorDescription, lineId: line.id, customerId: customerId, cartId: id)
        }
    }
}

extension CartCheckoutResult {
    /// One ``PartnerCenterError`` per failed order group (`orderErrors`), empty when every group was ordered.
    public func orderGroupErrors(customerId: String? = nil, cartId: String? = nil) -> [PartnerCenterError] {
        (orderErrors ?? []).map { failure in
            PartnerCenterError(
                category: .invalidArgument,
                message: "order group \(failure.orderGroupId ?? "?") was not ordered: \(failure.description ?? "error \(failure.code.map(String.init) ?? "?")")",
                pcCode: failure.code.map(String.init),
                method: "POST",
                path: customerId.flatMap { cid in cartId.map { OperationCatalog["carts.checkout"].requestPath(["customer_id": cid, "cart_id": $0]) } })
        }
    }
}
