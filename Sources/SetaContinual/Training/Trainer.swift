// The continual trainer: runs a task stream through a strategy, and after every task evaluates every task of
// the stream — seen and unseen — without telling the model the task (the accuracy matrix), plus the base
// model's zero-shot row. Writes a checkpoint at every task boundary.
//
// Data-parallel (several ranks, `communicator`): every rank runs this same loop on the same batches with the same
// RNG streams; each computes its share of every batch's loss (TrainingContext.languageModelLoss), the gradients
// are summed over ranks before clipping and the step (so every rank holds the same adapters), statistics for
// decisions are reduced the same way (the strategies), evaluation is sharded by batch and gathered, and rank 0
// alone writes checkpoints.
import Foundation
import SetaData
import SetaDistributed
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

/// Progress as values: the core never prints; the CLI renders these.
public enum TrainingProgress: Sendable {
    case zeroShot(task: Int, of: Int)
    case taskStarted(task: Int, of: Int, name: String, steps: Int)
    case step(task: Int, step: Int, of: Int, loss: Float, tokensPerSecond: Double)
    case evaluating(afterTask: Int, task: Int, done: Int, of: Int)
    case taskFinished(task: Int, scores: [Double])
}

/// Where an interrupted run continues: everything the trainer held after the last completed task.
public struct ResumePoint: Codable, Equatable, Sendable {
    public var completedTask: Int
    public var zeroShot: [Double]
    public var rows: [[Double]]
    public var storedAfterTask: [Int]
    public var independentEquivalent: [Int]
    /// The gate's choice per test example of every task, after the last completed task (nil: no gate).
    public var routes: [[Int]?]
    /// The trainer's stream (forked once per task) and the strategies' stream (TrainingContext.rng).
    public var rng: SeededRNG
    public var contextRNG: SeededRNG
    /// The options the run was started with; a resume must use the same.
    public var options: TrainingOptions
    public var timings: [String: Double]
}

/// A store for zero-shot rows, keyed by `ContinualTrainer.zeroShotKey` (the CLI keeps them under $SETA_CACHE).
public struct ZeroShotCache {
    /// Identifies the model's weights (e.g. its file path, size and modification time).
    public var modelIdentity: String
    public var load: (String) -> [Double]?
    public var save: (String, [Double]) -> Void
    public init(modelIdentity: String, load: @escaping (String) -> [Double]?,
                save: @escaping (String, [Double]) -> Void) {
        self.modelIdentity = modelIdentity; self.load = load; self.save = save
    }
}

public enum TrainingError: Error, LocalizedError, Equatable {
    /// Stopped on request (Ctrl-C) after `completedTasks` tasks (their checkpoints are written).
    case interrupted(completedTasks: Int)
    /// Data-parallel ranks hold different adapters after task `task` (a bug: every rank must take the same steps).
    case ranksDiverged(task: Int, checksums: [String])
    public var errorDescription: String? {
        switch self {
        case .interrupted(let n): return "interrupted after \(n) completed task\(n == 1 ? "" : "s")"
        case let .ranksDiverged(task, sums):
            return "the ranks hold different adapters after task \(task + 1) "
                + "(checksums by rank: \(sums.joined(separator: ", ")))"
        }
    }
}

public final class ContinualTrainer {
    public let model: LanguageModel
    public let strategy: ContinualStrategy
    public let tasks: [PreparedTask]
    public let options: TrainingOptions
    public let modelName: String, benchmark: String?
    /// Seconds per phase, for RUN/timings.json (kept out of results.json so results are reproducible).
    public private(set) var timings: [String: Double] = [:]
    /// Observers (e.g. an export for a peer framework): after adapters are attached; before each step with
    /// (task, step, batch); after each step with (task, step, loss).
    public var onAttached: ((ContinualStrategy) -> Void)?
    public var onBatch: ((Int, Int, [PreparedExample]) -> Void)?
    public var onStep: ((Int, Int, Float) -> Void)?
    /// Remembers the base model's zero-shot row between runs. The row is a pure function of `zeroShotKey` (the
    /// model, every test prompt's ids and references, the decoding limits), so a hit is the row a fresh evaluation
    /// would give; nil: always evaluate.
    public var zeroShotCache: ZeroShotCache?
    /// Polled between steps and evaluation batches; true stops the run with `TrainingError.interrupted` (the
    /// checkpoints of completed tasks stay; `run(resume:)` continues from the last one).
    public var shouldStop: () -> Bool = { false }
    /// The ranks of a data-parallel job; one process by default. Only rank 0 writes checkpoints and the
    /// zero-shot cache.
    public var communicator: Communicator = SingleProcess()
    /// Packs gradients into buckets for the all-reduce.
    public var gradientReduction = GradientReduction()

    public init(model: LanguageModel, strategy: ContinualStrategy, tasks: [TaskData], options: TrainingOptions,
                modelName: String, benchmark: String?) {
        self.model = model; self.strategy = strategy; self.options = options
        self.modelName = modelName; self.benchmark = benchmark
        self.tasks = tasks.enumerated().map { i, task in
            Self.prepare(task, model: model, options: options, salt: UInt64(i))
        }
    }

    /// Seeded subsets, truncation to the prompt limit, tokenisation (completion + end-of-sequence).
    static func prepare(_ task: TaskData, model: LanguageModel, options: TrainingOptions,
                        salt: UInt64) -> PreparedTask {
        let encode = { (s: String) in model.tokenizer.encode(s) },
            decode = { (ids: [Int]) in model.tokenizer.decode(ids) }
        func prepared(_ examples: [Example]) -> [PreparedExample] {
            examples.map { e in
                let short = truncated(e, maxPromptTokens: options.maxPromptTokens, encode: encode, decode: decode)
                return PreparedExample(promptIds: encode(short.prompt),
                                       targetIds: encode(short.target) + [model.endOfSequenceId],
                                       example: short)
            }
        }
        let train = prepared(seededSubset(task.train, count: options.trainPerTask,
                                          seed: options.seed &+ 1000 &* (salt + 1)))
        let test = prepared(seededSubset(task.test, count: options.testPerTask,
                                         seed: options.seed &+ 2000 &* (salt + 1)))
        let longestAnswer = (task.train + task.test).flatMap(\.references).map { encode(" " + $0).count }.max() ?? 8
        return PreparedTask(name: task.name, kind: task.kind, train: train, test: test,
                            maxNewTokens: task.kind == .classification ? longestAnswer + 2 : 64)
    }

    /// What the trainer holds between tasks (what a checkpoint's ResumePoint stores).
    struct StreamState {
        var zeroShot: [Double]
        var rows: [[Double]] = [], stored: [Int] = [], independent: [Int] = []
        /// The gate's choice per test example of every task after the last task (nil: no gate, or not scored).
        var routes: [[Int]?] = []
        var rng: SeededRNG
        let context: TrainingContext
    }

    /// Runs the stream. With `resume`, the strategy must already be restored from that point's checkpoint (it is
    /// not attached again) and the run continues with the next task, exactly as if it had never stopped.
    public func run(checkpoints: URL? = nil, resume: ResumePoint? = nil,
                    progress: (TrainingProgress) -> Void = { _ in }) throws -> RunResults {
        let evaluator = Evaluator(model: model, batchSize: options.evalBatchSize, communicator: communicator)
        // The stages trained in turn: the tasks, or one stage of all tasks mixed for a joint method (mtl).
        let stages = strategy.trainsJointly ? [Self.joint(tasks)] : tasks
        var state: StreamState
        if let resume {
            precondition(resume.options == options, "resume: the options differ from the run's")
            state = StreamState(zeroShot: resume.zeroShot, rows: resume.rows, stored: resume.storedAfterTask,
                                independent: resume.independentEquivalent, routes: resume.routes, rng: resume.rng,
                                context: TrainingContext(model: model, options: options, tasks: stages,
                                                         rng: resume.contextRNG, communicator: communicator))
            timings = resume.timings
        } else {
            state = try start(stages: stages, evaluator: evaluator, progress: progress)
        }
        for (t, stage) in stages.enumerated() where t > (resume?.completedTask ?? -1) {
            try train(stage, t, of: stages.count, state: &state, progress: progress)
            try evaluateEveryTask(after: t, state: &state, evaluator: evaluator, progress: progress)
            if let checkpoints, communicator.rank == 0 {
                let point = ResumePoint(completedTask: t, zeroShot: state.zeroShot, rows: state.rows,
                                        storedAfterTask: state.stored, independentEquivalent: state.independent,
                                        routes: state.routes, rng: state.rng, contextRNG: state.context.rng,
                                        options: options, timings: timings)
                try CheckpointWriter.write(strategy.checkpoint(), resume: point,
                                           to: RunFolder.checkpoint(afterTask: t, in: checkpoints))
            }
        }
        return try results(state)
    }

    /// Every rank stops at the same point.
    private func stopRequested() -> Bool { communicator.any(shouldStop()) }

    /// The base model's zero-shot row (before any adapter exists; from the cache when it holds it), then the
    /// strategy's adapters attached.
    private func start(stages: [PreparedTask], evaluator: Evaluator,
                       progress: (TrainingProgress) -> Void) throws -> StreamState {
        let clock = ContinuousClock(), start = clock.now
        model.network.detachAdapters()
        let key = zeroShotCache.map { zeroShotKey(model: $0.modelIdentity) }
        let cached = key.flatMap { zeroShotCache?.load($0) }.flatMap { $0.count == tasks.count ? $0 : nil }
        let everyRankHit = !communicator.any(cached == nil)           // ranks must take the same branch
        let zeroShot: [Double]
        if everyRankHit, let cached {
            zeroShot = cached
        } else {
            zeroShot = try tasks.enumerated().map { j, task in
                progress(.zeroShot(task: j, of: tasks.count))
                if stopRequested() { throw TrainingError.interrupted(completedTasks: 0) }
                return try evaluator.evaluate(task, index: j, strategy: nil) { _ in }.score
            }
            if let key, communicator.rank == 0 { zeroShotCache?.save(key, zeroShot) }
        }
        timings["zero_shot_seconds"] = (clock.now - start).inSeconds
        var rng = SeededRNG(seed: options.seed)
        var adapterRNG = rng.fork()
        strategy.attach(to: model, taskCount: tasks.count, rng: &adapterRNG)
        onAttached?(strategy)
        let context = TrainingContext(model: model, options: options, tasks: stages, rng: rng.fork(),
                                      communicator: communicator)
        return StreamState(zeroShot: zeroShot, rng: rng, context: context)
    }

    /// Stage t: the strategy's beginTask, the epochs of optimiser steps, its endTask.
    private func train(_ stage: PreparedTask, _ t: Int, of stageCount: Int, state: inout StreamState,
                       progress: (TrainingProgress) -> Void) throws {
        let clock = ContinuousClock(), start = clock.now, context = state.context
        strategy.beginTask(t, context: context)
        let optimizer = AdamW(parameters: strategy.trainableParameters,
                              config: AdamWConfig(learningRate: options.learningRate, weightDecay: options.weightDecay))
        var trainingStep = TrainingStep(strategy: strategy, context: context, optimizer: optimizer,
                                        maxGradNorm: options.maxGradNorm, reduction: gradientReduction)
        var order = state.rng.fork()
        let epochs = (0..<options.epochs).map { _ in context.batches(of: stage, size: options.batchSize, rng: &order) }
        let steps = epochs.reduce(0) { $0 + $1.count }
        let schedule = LearningRateSchedule(peak: options.learningRate, warmupSteps: options.warmupSteps,
                                            totalSteps: steps, decay: options.schedule)
        progress(.taskStarted(task: t, of: stageCount, name: stage.name, steps: steps))
        var stepSeconds = 0.0
        for (step, batch) in epochs.joined().enumerated() {
            if stopRequested() { throw TrainingError.interrupted(completedTasks: t) }
            let t0 = clock.now
            onBatch?(t, step, batch)
            let loss = trainingStep(batch, task: t, learningRate: schedule.learningRate(at: step))
            onStep?(t, step, loss)
            stepSeconds += (clock.now - t0).inSeconds
            let tokens = batch.reduce(0) { $0 + $1.promptIds.count + $1.targetIds.count }
            progress(.step(task: t, step: step + 1, of: steps, loss: loss,
                           tokensPerSecond: Double(tokens) / max((clock.now - t0).inSeconds, 1e-9)))
        }
        optimizer.zeroGrad()
        strategy.endTask(t, context: context)
        timings["train_task_\(t)_seconds"] = (clock.now - start).inSeconds
        let distributed = communicator.size > 1
        if distributed || timings["ranks"] != nil { timings["ranks"] = Double(communicator.size) }   // of the last task
        if distributed {
            try checkRanksAgree(after: t)
            timings["step_seconds_rank0", default: 0] += stepSeconds
            timings["gradient_allreduce_seconds_rank0", default: 0] += trainingStep.allReduceSeconds
            timings["wait_for_ranks_seconds_rank0", default: 0] += trainingStep.waitSeconds
        }
    }

    /// Row t of the accuracy matrix: every task scored after stage t (with `--eval-tasks seen`, the unmeasured
    /// cells NaN), and the parameters stored.
    private func evaluateEveryTask(after t: Int, state: inout StreamState, evaluator: Evaluator,
                                   progress: (TrainingProgress) -> Void) throws {
        let clock = ContinuousClock(), start = clock.now
        var row: [Double] = []
        state.routes = []
        for (j, task) in tasks.enumerated() {
            if stopRequested() { throw TrainingError.interrupted(completedTasks: t) }
            guard options.evaluatedTasks != .seen || j <= t + 1 else {   // unmeasured: no metric reads it
                row.append(.nan); state.routes.append(nil); continue
            }
            let result = try evaluator.evaluate(task, index: j, strategy: strategy) { done in
                progress(.evaluating(afterTask: t, task: j, done: done, of: task.test.count))
            }
            row.append(result.score)
            state.routes.append(result.routes)
        }
        timings["evaluate_after_task_\(t)_seconds"] = (clock.now - start).inSeconds
        state.rows.append(row)
        state.stored.append(strategy.storedParameterCount)
        if let eq = strategy.independentEquivalent(tasksSeen: strategy.trainsJointly ? tasks.count : t + 1) {
            state.independent.append(eq)
        }
        progress(.taskFinished(task: t, scores: row))
    }

    /// results.json: the matrix, the parameter growth, the routing accuracy (share of test inputs whose top-1 expert
    /// is their own task's) and the configuration.
    private func results(_ state: StreamState) throws -> RunResults {
        var routing: Double? = nil
        if state.routes.allSatisfy({ $0 != nil }) {
            let hits = state.routes.enumerated().reduce(0) { acc, item in
                acc + item.element!.filter { $0 == item.offset }.count
            }
            let total = state.routes.reduce(0) { $0 + $1!.count }
            routing = 100 * Double(hits) / Double(max(total, 1))
        }
        let matrix = try AccuracyMatrix(rows: state.rows, zeroShot: state.zeroShot)
        var config = strategy.configuration
        config["training"] = try JSONValue(encoding: options)
        if let weights = model.network.weightPrecision.recorded { config["weights"] = .string(weights) }
        let params = state.independent.count == state.stored.count
            ? try ParameterGrowth(storedAfterTask: state.stored, independentEquivalent: state.independent) : nil
        return RunResults(method: strategy.name, model: modelName, seed: options.seed, benchmark: benchmark,
                          tasks: tasks.map(\.name), accuracy: matrix, params: params, routingAccuracy: routing,
                          sharedUtilisation: strategy.sharedUtilisation, config: config)
    }

    /// Every rank must hold the same adapters after a task: their checkpoint tensors, hashed, are compared.
    func checkRanksAgree(after t: Int) throws {
        let tensors = strategy.checkpoint().tensors
        var hash = stableHash([UInt8]())
        for name in tensors.keys.sorted() {                        // names and raw float bytes, in a fixed order
            hash = stableHash(name.utf8, seed: hash)
            hash = stableHash(UnsafeRawBufferPointer(tensors[name]!.buffer), seed: hash)
        }
        let mine = String(format: "%016llx", hash)
        let all = try communicator.allGather(mine)
        if Set(all).count > 1 { throw TrainingError.ranksDiverged(task: t, checksums: all) }
    }

    /// What the zero-shot row depends on, hashed: the model, the evaluation batch size, and per task its kind,
    /// decoding limit, and every test prompt's ids and references.
    func zeroShotKey(model identity: String) -> String {
        var text = "zero-shot v1|\(identity)|\(options.evalBatchSize)"
        for task in tasks {
            // Free-text answers are decoded past a leading newline (Evaluator.greedyBatch): rows cached before
            // that differ.
            text += "|\(task.kind.rawValue):\(task.maxNewTokens)"
                + (task.kind == .classification ? "" : ":text-before-newline")
            for e in task.test {
                text += ";" + e.promptIds.map(String.init).joined(separator: ",") + "="
                    + e.example.references.joined(separator: "\u{1}")
            }
        }
        return String(format: "%016llx-%08x", text.hashValueStable, text.utf8.count)
    }

    /// All tasks as one stage: every training example of every task (each task's own seeded subset), shuffled
    /// together by the trainer's batches. Evaluation still scores each task on its own test set.
    static func joint(_ tasks: [PreparedTask]) -> PreparedTask {
        PreparedTask(name: tasks.map(\.name).joined(separator: "+"), kind: tasks[0].kind, train: tasks.flatMap(\.train),
                     test: [], maxNewTokens: tasks.map(\.maxNewTokens).max() ?? 8)
    }
}

extension JSONValue {
    /// Any Encodable value as a JSONValue (through JSON).
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        self = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
    }
}
