// The options of a training run: every one is recorded in results.json (config.training) and in each checkpoint's
// resume.json, and a resume must use the same.
import Foundation
import SetaTensor

public struct TrainingOptions: Equatable, Sendable {
    public var epochs = 2
    public var batchSize = 8
    public var learningRate: Float = 5e-4
    public var weightDecay: Float = 0
    public var warmupSteps = 0
    public var schedule: LearningRateSchedule.Decay = .constant
    public var maxGradNorm: Float = 1
    /// Prompts longer than this are truncated in their input part, never in the answer.
    public var maxPromptTokens = 256
    public var trainPerTask: Int? = 250
    public var testPerTask: Int? = 200
    public var evalBatchSize = 8
    /// A training batch runs as forward passes of at most this many examples of similar length (less padding);
    /// the loss and its gradient are still those of the whole batch (the mean over all its completion tokens).
    public var rowsPerForward = 2
    public var seed: UInt64 = 0
    /// Which tasks are scored after each task (see `EvaluatedTasks`).
    public var evaluatedTasks: EvaluatedTasks = .all
    public init() {}
}

/// Which tasks the trainer scores after each task. `all`: every task, the whole accuracy matrix. `seen`: the tasks
/// seen so far and the next one (FWT's a[j−1][j]) — every cell AA, BWT, FWT and forgetting read; the rest of the
/// matrix stays unmeasured (null in results.json). On a T-task stream that is (T² + 3T − 2)/2 of T² evaluations:
/// 60% for 15 tasks, 81% for 4.
public enum EvaluatedTasks: String, Codable, CaseIterable, Sendable {
    case all, seen
}

extension TrainingOptions: Codable {
    private enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, weightDecay, warmupSteps, schedule, maxGradNorm, maxPromptTokens
        case trainPerTask, testPerTask, evalBatchSize, rowsPerForward, seed, evaluatedTasks
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        weightDecay = try c.decode(Float.self, forKey: .weightDecay)
        warmupSteps = try c.decode(Int.self, forKey: .warmupSteps)
        schedule = try c.decode(LearningRateSchedule.Decay.self, forKey: .schedule)
        maxGradNorm = try c.decode(Float.self, forKey: .maxGradNorm)
        maxPromptTokens = try c.decode(Int.self, forKey: .maxPromptTokens)
        trainPerTask = try c.decodeIfPresent(Int.self, forKey: .trainPerTask)
        testPerTask = try c.decodeIfPresent(Int.self, forKey: .testPerTask)
        evalBatchSize = try c.decode(Int.self, forKey: .evalBatchSize)
        rowsPerForward = try c.decode(Int.self, forKey: .rowsPerForward)
        seed = try c.decode(UInt64.self, forKey: .seed)
        // Absent from the records of runs made before it existed: those scored every task.
        evaluatedTasks = try c.decodeIfPresent(EvaluatedTasks.self, forKey: .evaluatedTasks) ?? .all
    }

    /// Written only when not `all`, so the records of full-matrix runs are unchanged.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(warmupSteps, forKey: .warmupSteps)
        try c.encode(schedule, forKey: .schedule)
        try c.encode(maxGradNorm, forKey: .maxGradNorm)
        try c.encode(maxPromptTokens, forKey: .maxPromptTokens)
        try c.encodeIfPresent(trainPerTask, forKey: .trainPerTask)
        try c.encodeIfPresent(testPerTask, forKey: .testPerTask)
        try c.encode(evalBatchSize, forKey: .evalBatchSize)
        try c.encode(rowsPerForward, forKey: .rowsPerForward)
        try c.encode(seed, forKey: .seed)
        if evaluatedTasks != .all { try c.encode(evaluatedTasks, forKey: .evaluatedTasks) }
    }
}
