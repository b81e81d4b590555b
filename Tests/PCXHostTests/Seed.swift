import Testing
@testable import PCXHost
