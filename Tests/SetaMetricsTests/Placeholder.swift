import Testing
@testable import SetaMetrics
