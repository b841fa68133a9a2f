import Testing

@testable import ToxicityRules
