// The options of a training run: every one is recorded in results.json (config.training) and in each checkpoint's
// resume.json, and a resume must use the same.
import Foundation
import SetaTensor

public struct TrainingOptions: Codable, Equatable, Sendable {
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
    /// Which tasks are scored after each task (see `EvaluatedTasks`); nil is `all`. Optional so that it stays out of
    /// the records (results.json, resume.json) of full-matrix runs, as it was before it existed.
    public var evaluatedTasks: EvaluatedTasks? = nil
    public init() {}
}

/// Which tasks the trainer scores after each task. `all`: every task, the whole accuracy matrix. `seen`: the tasks
/// seen so far and the next one (FWT's a[j−1][j]) — every cell AA, BWT, FWT and forgetting read; the rest of the
/// matrix stays unmeasured (null in results.json). On a T-task stream that is (T² + 3T − 2)/2 of T² evaluations:
/// 60% for 15 tasks, 81% for 4.
public enum EvaluatedTasks: String, Codable, CaseIterable, Sendable {
    case all, seen
}
