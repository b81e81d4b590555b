import PartnerCenterModels

/// The production Partner Center API endpoint.
public let partnerCenterProductionEndpoint = "https://api.partnercenter.microsoft.com"
