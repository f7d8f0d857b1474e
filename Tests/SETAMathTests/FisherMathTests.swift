// SETA's consolidation statistic (SETA.md step 5): the empirical Fisher diagonal of the shared parameters,
//   F_θ = mean over examples of (∂ log p(y|x) / ∂θ)²,  log p summed over the completion's tokens,
// against a hand computation; with two ranks each squares its own examples' gradients and the sums are added.
import Foundation
import Testing
import SetaDistributed
import SetaExperts
import SetaTensor
@testable import SetaContinual

@Suite struct FisherMathTests {
    /// After two steps of task 0 (so both A and B carry gradients).
    func trainedRun() throws -> SteppedRun {
        let run = try SteppedRun(taskCount: 1)
        run.seta.beginTask(0, context: run.context)
        run.train(0, steps: 2)
        return run
    }

    func flat(_ fisher: [[(a: Tensor, b: Tensor)]]) -> [Double] {
        fisher.flatMap { $0.flatMap { $0.a.values + $0.b.values } }.map(Double.init)
    }

    @Test func fisherIsTheMeanSquaredGradientOfEachExamplesSummedLogLikelihood() throws {
        let run = try trainedRun()
        var rng = SeededRNG(seed: 13)
        let fisher = flat(run.seta.fisherDiagonal(0, context: run.context, rng: &rng))
        // By hand: the same examples, −log p(y|x) = (mean token loss) × (completion tokens), squared gradients averaged.
        var handRNG = SeededRNG(seed: 13)
        let examples = run.context.batches(of: run.tasks[0], size: 1, rng: &handRNG).prefix(run.seta.options.fisherExamples).map { $0[0] }
        #expect(examples.count == 6)
        let shared = run.seta.pools.flatMap { p in (0..<p.shape.blocks).flatMap { [p.sharedA[$0], p.sharedB[$0]] } }
        var sums = [Double](repeating: 0, count: fisher.count)
        for example in examples {
            shared.forEach { $0.requiresGrad = true; $0.zeroGrad() }
            run.seta.routing.route(allTo: 0, tasks: 1, sequences: 1)
            scale(run.context.languageModelLoss([example]), Float(example.targetIds.count)).backward()
            var i = 0
            for theta in shared {
                for j in 0..<theta.count { let g = Double(theta.grad?.data[j] ?? 0); sums[i] += g * g; i += 1 }
            }
        }
        shared.forEach { $0.requiresGrad = false; $0.zeroGrad() }
        let expected = sums.map { $0 / Double(examples.count) }
        #expect(closeToScale(fisher, expected, 1e-4))
        #expect(expected.contains { $0 > 0 })
        // A mean log-likelihood instead of the sum would be off by (tokens)²: the test sees it.
        #expect(run.tasks[0].train.allSatisfy { $0.targetIds.count > 1 })
    }

    @Test func fisherOfTwoRanksIsTheSumOfTheirExamplesSquares() throws {
        func fisher(_ c: Communicator) throws -> [Double] {
            let run = try trainedRun()
            var rng = SeededRNG(seed: 13)
            return flat(run.seta.fisherDiagonal(0, context: run.context(for: c), rng: &rng))
        }
        let whole = try fisher(SingleProcess())
        let rank1 = RecordingRank(rank: 1), rank0 = RecordingRank(rank: 0)
        let alone0 = try fisher(rank0), alone1 = try fisher(rank1)
        let replay = ReplayingRank(rank: 0, other: rank1)
        let reduced = try fisher(replay)
        #expect(replay.replayedAll)
        #expect(closeToScale(reduced, whole, 1e-5))
        // Each rank alone holds its examples' share (examples 0, 2, 4 and 1, 3, 5): the shares add up to the whole.
        #expect(closeToScale(zip(alone0, alone1).map { $0 + $1 }, whole, 1e-5))
        #expect(!closeToScale(alone0, whole, 1e-2) && !closeToScale(alone1, whole, 1e-2))
    }
}
