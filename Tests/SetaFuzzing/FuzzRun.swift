// The loop bookkeeping of the parser fuzz suites: outcome counts, the slowest iteration, and the problems
// (an error of a foreign type, or one that does not name the bad file). A crash needs no bookkeeping: it
// stops the test process, which fails the run.
import Foundation

public struct FuzzRun: CustomStringConvertible {
    public let name: String
    /// Mutated inputs that still loaded (e.g. a flipped weight), and inputs rejected with a proper error.
    public private(set) var accepted = 0, rejected = 0
    public private(set) var slowest: Duration = .zero
    public private(set) var slowestSummary = ""
    public private(set) var problems: [String] = []
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    public init(_ name: String) {
        self.name = name
        started = clock.now
    }

    /// Runs one iteration: `load` must return, or throw an error that `isExpected` accepts and whose message
    /// contains `mustName` (the mutated file, or the folder holding it).
    public mutating func iteration(_ index: Int, _ summary: String, mustName: String,
                                   isExpected: (Error) -> Bool, _ load: () throws -> Void) {
        let start = clock.now
        do {
            try load()
            accepted += 1
        } catch {
            rejected += 1
            if !isExpected(error) {
                problems.append("#\(index) (\(summary)): unexpected error type \(type(of: error)): \(error)")
            } else if !"\(error)".contains(mustName) {
                problems.append("#\(index) (\(summary)): message does not name \(mustName): \(error)")
            }
        }
        let elapsed = clock.now - start
        if elapsed > slowest { slowest = elapsed; slowestSummary = "#\(index) (\(summary))" }
    }

    public var elapsed: Duration { clock.now - started }

    public var description: String {
        "\(name): \(accepted + rejected) inputs, \(rejected) rejected, \(accepted) accepted, "
            + "slowest \(slowest) at \(slowestSummary), total \(elapsed)"
    }
}

/// A fresh folder under the system temp dir, for mutated files; `remove()` deletes it.
public struct FuzzScratch {
    public let root: URL

    public init(_ label: String) throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("seta-fuzz-\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    public func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    public func remove() { try? FileManager.default.removeItem(at: root) }
}
