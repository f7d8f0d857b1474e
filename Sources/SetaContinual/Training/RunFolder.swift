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
    /// bf16 when the base weights ran in bfloat16 (`--weights bf16`); nil (absent from run.json) for float32.
    public var weights: WeightPrecision?
    public init(model: String, method: String, tasks: [String], benchmark: String?, seed: UInt64,
                weights: WeightPrecision = .f32) {
        self.model = model; self.method = method; self.tasks = tasks; self.benchmark = benchmark; self.seed = seed
        self.weights = weights == .f32 ? nil : weights
    }
    /// The precision of the run's base weights (float32 when run.json names none).
    public var precision: WeightPrecision { weights ?? .f32 }
}

extension RunDescription {
    /// The run's model (`spec`, default its own), in the run's weight precision: a bf16 run was trained and
    /// evaluated with bf16 weights (where the CPU has no AVX-512 BF16 the model stays float32).
    public func loadModel(_ spec: String? = nil) throws -> LanguageModel {
        let model = try LanguageModel.load(spec ?? self.model)
        if precision == .bf16 { model.network.useBF16Weights() }
        return model
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

    /// RUN/checkpoints/task-k: the checkpoint after task k (counted from 0) in the `checkpoints` folder.
    public static func checkpoint(afterTask k: Int, in checkpoints: URL) -> URL {
        checkpoints.appendingPathComponent("task-\(k)")
    }

    /// The task a checkpoint folder was written after (`task-k` → k), nil for another name.
    public static func completedTask(ofCheckpoint folder: URL) -> Int? {
        let name = folder.lastPathComponent
        return name.hasPrefix("task-") ? Int(name.dropFirst(5)) : nil
    }

    /// The tasks after which the run holds a checkpoint, in order.
    public static func checkpointedTasks(_ run: URL) -> [Int] {
        let folder = checkpoints(run)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.compactMap { completedTask(ofCheckpoint: folder.appendingPathComponent($0)) }.sorted()
    }

    /// The checkpoint folder of the last completed task (nil when no task has completed).
    public static func lastCheckpoint(_ run: URL) -> URL? {
        checkpointedTasks(run).last.map { checkpoint(afterTask: $0, in: checkpoints(run)) }
    }

    /// The strategy of the last completed task, restored on `model`.
    public static func restoreStrategy(_ run: URL, description: RunDescription,
                                       model: LanguageModel) throws -> ContinualStrategy {
        guard let last = lastCheckpoint(run) else {
            throw CheckpointError.notFound(file: checkpoint(afterTask: 0, in: checkpoints(run)).path)
        }
        return try restoreStrategy(checkpoint: last, run: run, description: description, model: model)
    }

    /// Where an interrupted run continues: the strategy restored from the last checkpoint and the trainer's state
    /// (nil when no task completed: the run starts over).
    public static func resume(_ run: URL, description: RunDescription,
                              model: LanguageModel) throws -> (strategy: ContinualStrategy, point: ResumePoint)? {
        guard let last = lastCheckpoint(run) else { return nil }
        let point = try CheckpointWriter.resumePoint(last)
        return (try restoreStrategy(checkpoint: last, run: run, description: description, model: model), point)
    }

    /// The strategy stored in `checkpoint` (a RUN/checkpoints/task-k folder), restored on `model`.
    public static func restoreStrategy(checkpoint: URL, run: URL, description: RunDescription,
                                model: LanguageModel) throws -> ContinualStrategy {
        let state = try CheckpointWriter.read(checkpoint)
        guard let method = Methods.named(description.method) else {
            throw CheckpointError.invalid(file: run.appendingPathComponent("run.json").path,
                                          detail: "unknown method \(description.method)")
        }
        return try method.restore(state, model: model)
    }
}
