import Testing
@testable import PartnerCenterSandbox
