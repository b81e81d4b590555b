import PartnerCenterModels

/// The name the sandbox reports in its `MS-ServerId` header.
public let sandboxServerID = "pcx-sandbox"
