// A run folder: RUN/run.json (what was run: model, method, tasks), RUN/results.json (reproducible bit for bit),
// RUN/timings.json (wall-clock, kept apart), RUN/checkpoints/task-k/ (adapters at each task boundary).
import Foundation
import SetaMetrics
import SetaModels

public struct RunDescription: Codable, Equatable, Sendable {
    public var model: String
    public var method: String
    public var tasks: [String]
    public var benchmark: String?
    public var seed: UInt64
    public init(model: String, method: String, tasks: [String], benchmark: String?, seed: UInt64) {
        self.model = model; self.method = method; self.tasks = tasks; self.benchmark = benchmark; self.seed = seed
    }
}

public enum RunFolder {
    public static func checkpoints(_ run: URL) -> URL { run.appendingPathComponent("checkpoints") }

    public static func writeDescription(_ d: RunDescription, to run: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(d), to: run.appendingPathComponent("run.json"))
    }

    public static func readDescription(_ run: URL) throws -> RunDescription {
        let url = run.appendingPathComponent("run.json")
        guard let data = try? Data(contentsOf: url) else {
            throw CheckpointError.notFound(file: url.path)
        }
        do { return try JSONDecoder().decode(RunDescription.self, from: data) } catch {
            throw CheckpointError.badJSON(file: url.path, detail: "\(error)")
        }
    }

    public static func writeTimings(_ timings: [String: Double], to run: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(timings), to: run.appendingPathComponent("timings.json"))
    }

    /// The index k of the last checkpoint RUN/checkpoints/task-k (the task it was written after), nil if none.
    public static func lastCheckpoint(_ run: URL) -> Int? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: checkpoints(run).path)) ?? []).filter { $0.hasPrefix("task-") }
        return names.compactMap { Int($0.dropFirst(5)) }.max()
    }

    /// The strategy of the last completed task, restored on `model`.
    public static func restoreStrategy(_ run: URL, description: RunDescription, model: LanguageModel) throws -> ContinualStrategy {
        let folder = checkpoints(run)
        guard let last = lastCheckpoint(run) else {
            throw CheckpointError.notFound(file: folder.appendingPathComponent("task-0").path)
        }
        let state = try CheckpointWriter.read(folder.appendingPathComponent("task-\(last)"))
        switch description.method {
        case "seta": return try SETA.restore(state, model: model)
        case "seq-lora": return try SeqLoRA.restore(state, model: model)
        default: throw CheckpointError.invalid(file: run.appendingPathComponent("run.json").path, detail: "unknown method \(description.method)")
        }
    }
}
