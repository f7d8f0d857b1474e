// SETA's gradient-sensitivity probe (SETA.md step 2) against a hand computation on the tiny pools:
//   s_b = EMA over the probe batches of mean_{θ∈b} |θ · ∂L/∂θ|       (blocks already trained, B_b ≠ 0)
//   s_b = EMA over the probe batches of mean_{θ∈b} |∂L/∂θ|           (blocks still at B_b = 0, where θ·g vanishes)
//   EMA: s ← score of the first batch, then s ← β s + (1 − β) score  (β = probeDecay)
// and, under data parallelism, the ranks' gradients summed *before* the absolute value.
import Foundation
import Testing
import SetaDistributed
import SetaExperts
import SetaTensor
@testable import SetaContinual

@Suite struct ProbeMathTests {
    /// A run at the start of task 0 whose block 0 (in every pool) has been trained: B_0 ≠ 0, blocks 1…3 at B = 0.
    func runWithOneTrainedBlock() throws -> SteppedRun {
        let run = try SteppedRun(taskCount: 1)
        run.seta.beginTask(0, context: run.context)
        var fill = SeededRNG(seed: 17)
        for pool in run.seta.pools {
            let values = Tensor.randn(pool.sharedB[0].shape, std: 0.05, rng: &fill)
            pool.sharedB[0].data.update(from: values.data, count: values.count)
        }
        return run
    }

    /// Per probe batch, per pool and block: (mean |θ·g|, mean |g|), from one backward of the batch's loss.
    func perBatchMagnitudes(_ run: SteppedRun, seed: UInt64) -> [[[(weighted: Double, plain: Double)]]] {
        var rng = SeededRNG(seed: seed)
        let batches = run.context.batches(of: run.tasks[0], size: run.options.batchSize, rng: &rng).prefix(run.seta.options.probeBatches)
        let shared = run.seta.pools.flatMap(\.sharedParameters)
        defer { shared.forEach { $0.requiresGrad = false; $0.zeroGrad() } }
        return batches.map { batch in
            shared.forEach { $0.requiresGrad = true; $0.zeroGrad() }
            run.seta.routing.route(allTo: 0, tasks: 1, sequences: batch.count)
            run.context.languageModelLoss(Array(batch)).backward()
            return run.seta.pools.map { pool in
                (0..<pool.shape.blocks).map { b in
                    var weighted = 0.0, plain = 0.0
                    for theta in [pool.sharedA[b], pool.sharedB[b]] {
                        guard let g = theta.grad else { continue }
                        for i in 0..<theta.count {
                            weighted += abs(Double(theta.data[i]) * Double(g.data[i])); plain += abs(Double(g.data[i]))
                        }
                    }
                    let n = Double(pool.sharedA[b].count + pool.sharedB[b].count)
                    return (weighted / n, plain / n)
                }
            }
        }
    }

    func ema(_ perBatch: [[[Double]]], beta: Double) -> [Double] {
        var s = perBatch[0].flatMap { $0 }
        for scores in perBatch.dropFirst() { s = zip(s, scores.flatMap { $0 }).map { beta * $0 + (1 - beta) * $1 } }
        return s
    }

    @Test func probeScoresTrainedBlocksByThetaTimesGradientUntrainedByGradientWithAnEMA() throws {
        let run = try runWithOneTrainedBlock()
        var rng = SeededRNG(seed: 11)
        let scores = run.seta.probe(0, context: run.context, rng: &rng).flatMap { $0 }
        let magnitudes = perBatchMagnitudes(run, seed: 11)
        #expect(magnitudes.count == 3)
        // Block 0 trained: |θ·g|; the others: |g|.
        let byHand = magnitudes.map { $0.map { $0.enumerated().map { b, m in b == 0 ? m.weighted : m.plain } } }
        let expected = ema(byHand, beta: run.seta.options.probeDecay)
        #expect(close(scores, expected, 1e-5), "probe \(scores)\nhand  \(expected)")
        // The test tells the alternatives apart: every block by |g|, every block by |θ·g|, a plain mean over batches.
        let allPlain = ema(magnitudes.map { $0.map { $0.map(\.plain) } }, beta: run.seta.options.probeDecay)
        let allWeighted = ema(magnitudes.map { $0.map { $0.map(\.weighted) } }, beta: run.seta.options.probeDecay)
        let mean = (0..<expected.count).map { i in byHand.reduce(0.0) { $0 + $1.flatMap { $0 }[i] } / Double(byHand.count) }
        for alternative in [allPlain, allWeighted, mean] { #expect(!close(alternative, expected, 1e-3)) }
        #expect(expected.allSatisfy { $0 > 0 })
    }

    @Test func probeSumsTheRanksGradientsBeforeTheAbsoluteValue() throws {
        func probe(_ c: Communicator) throws -> [Double] {
            let run = try runWithOneTrainedBlock()
            var rng = SeededRNG(seed: 11)
            return run.seta.probe(0, context: run.context(for: c), rng: &rng).flatMap { $0 }
        }
        let whole = try probe(SingleProcess())
        // Each rank alone: the gradient of its share of each batch (one of the batch's two length groups).
        let rank0 = RecordingRank(rank: 0), rank1 = RecordingRank(rank: 1)
        let alone0 = try probe(rank0), alone1 = try probe(rank1)
        #expect(!rank1.floats.isEmpty && rank0.floats.count == rank1.floats.count)
        // Rank 0 with rank 1's gradients added by the all-reduce: the whole batch's scores.
        let replay = ReplayingRank(rank: 0, other: rank1)
        let reduced = try probe(replay)
        #expect(replay.replayedAll)
        #expect(close(reduced, whole, 1e-5), "2 ranks \(reduced)\n1 rank  \(whole)")
        // Absolute values taken per rank and then summed (the wrong order) overstate the scores: |g₀| + |g₁| ≥ |g₀ + g₁|.
        let absoluteFirst = zip(alone0, alone1).map { $0 + $1 }
        #expect(zip(absoluteFirst, whole).allSatisfy { $0 >= $1 * (1 - 1e-6) })
        #expect(!close(absoluteFirst, whole, 1e-3))
        #expect(!close(alone0, whole, 1e-3) && !close(alone1, whole, 1e-3))
    }
}
