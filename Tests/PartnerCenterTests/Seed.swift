import Testing
@testable import PartnerCenter
