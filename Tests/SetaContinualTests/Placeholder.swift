import Testing
@testable import SetaContinual
