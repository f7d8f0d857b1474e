// What the SETA math suites share: a SETA run on the tiny Llama fixture stepped hook by hook (so a test can look
// between the hooks), and two stand-ins for a second rank of a data-parallel job, which let one process compute
// what rank 0 sees after an all-reduce: a recording communicator (one rank's buffers, as it would send them) and a
// replaying one (adds the other rank's recorded buffers, call by call: the sum MPI would return).
import Foundation
import Testing
import SetaData
import SetaDistributed
import SetaExperts
import SetaModels
import SetaTensor
@testable import SetaContinual

/// A SETA run on the tiny fixture: attach, then per task begin → steps → end, each called by the test.
final class SteppedRun {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaModelsTests/Fixtures/tiny-llama").standardized

    let lm: LanguageModel
    let seta: SETA
    let tasks: [PreparedTask]
    let options: TrainingOptions
    let context: TrainingContext
    var rng = SeededRNG(seed: 3)

    /// Tiny pools by default (q and v of both layers, 4 blocks of rank 2, r_u = 2): every block state shows up.
    init(taskCount: Int = 3, rowsPerForward: Int = 2, configure: (inout SETA.Options) -> Void = { _ in }) throws {
        var o = SETA.Options()
        o.pool = ExpertPool.Shape(sharedRank: 8, blocks: 4, uniqueRank: 2, scale: 2)
        o.probeBatches = 3; o.fisherExamples = 6
        configure(&o)
        lm = try LanguageModel.load(huggingFaceFolder: Self.folder)
        seta = SETA(options: o)
        var t = TrainingOptions()
        t.trainPerTask = nil; t.testPerTask = nil; t.epochs = 1; t.batchSize = 4; t.learningRate = 1e-2
        t.rowsPerForward = rowsPerForward
        options = t
        let trainer = ContinualTrainer(model: lm, strategy: seta, tasks: Self.tasks(count: taskCount), options: t,
                                       modelName: "tiny", benchmark: nil)
        tasks = trainer.tasks
        seta.attach(to: lm, taskCount: taskCount, rng: &rng)
        context = TrainingContext(model: lm, options: t, tasks: tasks, rng: rng.fork())
    }

    /// Three tiny tasks that ask different questions about the same kind of input.
    static func tasks(count: Int) -> [TaskData] {
        let labels = [["ab", "cd"], ["ef", "gh"], ["ij", "kl"]], questions = ["one", "two", "three"]
        return (0..<count).map { t in
            let examples = (0..<16).map { i in
                Example(prefix: "task question \(questions[t])\n", input: "value \(i % 7) of \(i)", suffix: "\nAnswer:",
                        target: " " + labels[t][i % 2], references: [labels[t][i % 2]])
            }
            return TaskData(name: "t\(t)", kind: .classification, labels: labels[t], train: examples,
                            test: Array(examples.prefix(4)), skippedRows: 0, source: "tiny")
        }
    }

    /// A context of this run for one rank of a data-parallel job (the probe and the Fisher diagonal take their
    /// batches from the RNG they are given, not the context's).
    func context(for communicator: Communicator) -> TrainingContext {
        TrainingContext(model: lm, options: options, tasks: tasks, rng: SeededRNG(seed: 0), communicator: communicator)
    }

    /// `steps` optimiser steps of task t (AdamW on the strategy's trainable tensors, its loss with the penalty).
    func train(_ t: Int, steps: Int) {
        let opt = AdamW(parameters: seta.trainableParameters, config: AdamWConfig(learningRate: 1e-2))
        for batch in context.batches(of: tasks[t], size: options.batchSize, rng: &rng).prefix(steps) {
            opt.zeroGrad(); seta.loss(batch, task: t, context: context).backward(); opt.update()
        }
    }

    /// Tasks 0 ..< t trained (`steps` each) and ended.
    func complete(tasks count: Int, steps: Int = 3) {
        for t in 0..<count { seta.beginTask(t, context: context); train(t, steps: steps); seta.endTask(t, context: context) }
    }

    /// (pool, block) of every shared block in `state` for task t.
    func blocks(_ state: BlockState, task t: Int) -> [(pool: Int, block: Int)] {
        seta.states[t].enumerated().flatMap { p, states in states.indices.filter { states[$0] == state }.map { (p, $0) } }
    }
}

/// Rank `rank` of a two-rank job that keeps its own buffers (an identity all-reduce) and records each call's.
final class RecordingRank: Communicator {
    let rank: Int
    var size: Int { 2 }
    private(set) var floats: [[Float]] = [], doubles: [[Double]] = []
    init(rank: Int) { self.rank = rank }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) { floats.append(Array(values)) }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) { doubles.append(Array(values)) }
    func allGather(_ bytes: [UInt8]) -> [[UInt8]] { fatalError("not used by the probe or the Fisher diagonal") }
    func barrier() {}
    var allReduceSeconds: Double { 0 }
}

/// Rank `rank` of a two-rank job whose all-reduce adds the other rank's recorded buffers, call by call.
final class ReplayingRank: Communicator {
    let rank: Int
    var size: Int { 2 }
    private let other: RecordingRank
    private var floatCalls = 0, doubleCalls = 0
    init(rank: Int, other: RecordingRank) { self.rank = rank; self.other = other }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) {
        let theirs = other.floats[floatCalls]; floatCalls += 1
        precondition(theirs.count == values.count, "the ranks' all-reduce calls differ")
        for i in values.indices { values[i] += theirs[i] }
    }
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) {
        let theirs = other.doubles[doubleCalls]; doubleCalls += 1
        precondition(theirs.count == values.count, "the ranks' all-reduce calls differ")
        for i in values.indices { values[i] += theirs[i] }
    }
    func allGather(_ bytes: [UInt8]) -> [[UInt8]] { fatalError("not used by the probe or the Fisher diagonal") }
    func barrier() {}
    var allReduceSeconds: Double { 0 }
    /// Every recorded call of the other rank was replayed.
    var replayedAll: Bool { floatCalls == other.floats.count && doubleCalls == other.doubles.count }
}

/// |a − b| ≤ tolerance · |b| elementwise, with |b| floored at 10⁻³ of the largest |b| (so zeros compare too).
func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
    let floor = 1e-3 * (b.map(abs).max() ?? 0)
    return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(abs($1), floor) }
}

/// max |a − b| ≤ tolerance · max |b|: for statistics whose small entries carry no weight (a Fisher diagonal).
func closeToScale(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool {
    let scale = b.map(abs).max() ?? 0
    return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * scale }
}

func bits(_ t: Tensor) -> [UInt32] { t.values.map(\.bitPattern) }

extension SETA {
    /// The shared blocks' state as `[pool][block]` arrays, as the math is written (Ω, Ω̂, θ*).
    var omega: [[(a: Tensor, b: Tensor)]] { blocks.map { $0.map(\.omega) } }
    var normalisedOmega: [[(a: Tensor, b: Tensor)]] { blocks.map { $0.map(\.normalisedOmega) } }
    var anchors: [[(a: Tensor, b: Tensor)]] { blocks.map { $0.map(\.anchor) } }
}
