import Testing
@testable import SetaData
