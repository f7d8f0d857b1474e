// Shared helpers of the SetaData tests: fixture paths and throw-away task folders.
import Foundation
@testable import SetaData

enum Fixtures {
    /// `Tests/SetaDataTests/Fixtures` as copied into the test bundle.
    static var root: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static var tasks: URL { root.appendingPathComponent("tasks") }

    static func task(_ name: String) -> URL { tasks.appendingPathComponent(name) }
}

/// A temporary folder holding files given as `relative path → contents`; removed by `cleanup()`.
struct TempTree {
    let root: URL

    init(_ files: [String: String]) throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("seta-data-tests-\(UUID().uuidString)")
        for (path, contents) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    func cleanup() { try? FileManager.default.removeItem(at: root) }
}

/// The real benchmark data root (SETA_DATA or ../shared/data, else /work/shared/data), nil when absent.
let realDataRoot: URL? = {
    if let root = Benchmark.defaultDataRoot(),
        FileManager.default.fileExists(atPath: root.appendingPathComponent("cl-benchmark").path) {
        return root
    }
    let fallback = URL(fileURLWithPath: "/work/shared/data")
    return FileManager.default.fileExists(atPath: fallback.appendingPathComponent("cl-benchmark").path) ? fallback : nil
}()

/// Runs `body`, expecting a `DataError`; returns it (nil and a recorded issue when nothing or something else
/// was thrown).
func expectDataError(_ body: () throws -> Void) -> DataError? {
    do {
        try body()
    } catch let e as DataError {
        return e
    } catch {
        return nil
    }
    return nil
}
