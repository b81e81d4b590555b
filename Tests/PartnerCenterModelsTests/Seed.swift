import Testing
@testable import PartnerCenterModels
