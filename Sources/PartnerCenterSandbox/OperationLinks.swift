import PartnerCenterModels

extension APIOperation {
    /// A link to this operation in one of its other documented spellings (``APIOperation/alternatePaths``),
    /// written as Partner Center writes links (see ``APIOperation/link(_:query:)``): the template
    /// filled with `values` by placeholder name, without `/v1`, then `query`.
    ///
    /// The sandbox writes the legacy line-item form `/invoices/{id}/lineitems/{provider}/{type}`
    /// this way, so that path too lives only in the catalogue.
    /// - Precondition: `index` names one of the operation's alternate paths.
    func alternateLink(_ index: Int, _ values: [String: String], query: [(String, String)] = []) -> String {
        precondition(alternatePaths.indices.contains(index), "operation '\(name)' declares no alternate path #\(index)")
        return APIOperation(name, method, alternatePaths[index], host: host, response: response, summary: summary)
            .link(values, query: query)
    }
}
