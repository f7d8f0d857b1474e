// SETA's consolidation statistic (SETA.md step 5): the empirical Fisher diagonal of the shared parameters,
//   F_θ = mean over examples of (∂ log p(y|x) / ∂θ)²,  log p summed over the completion's tokens,
// against a hand computation; with two ranks each squares its own examples' gradients and the sums are added.
import Foundation
import Testing
import SetaDistributed
import SetaExperts
import SetaModels
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

    /// ∂(−log p(y|x))/∂θ for the shared tensors, from the model's logits: log p(y|x) = Σ_k log softmax(z_{p−1+k})[y_k]
    /// over the completion tokens y (EOS included), whose gradient w.r.t. the logits is softmax(z) − onehot(y) on
    /// those rows (computed here in Double) and is carried to θ by one backward of Σ z ⊙ (that constant).
    func logLikelihoodGradient(_ run: SteppedRun, _ example: PreparedExample, _ shared: [Tensor]) -> (nll: Double, grads: [[Double]]) {
        let input = Array((example.promptIds + example.targetIds).dropLast())
        shared.forEach { $0.requiresGrad = true; $0.zeroGrad() }          // before the forward: the graph must reach θ
        run.seta.routing.route(allTo: 0, tasks: 1, sequences: 1)
        let logits = run.lm.network.logits(hidden: run.lm.network.hiddenStates(ids: input, batch: 1))   // [T, V]
        let v = logits.size(-1)
        let upstream = Tensor(zeros: logits.shape)
        var nll = 0.0
        for (k, y) in example.targetIds.enumerated() {
            let row = example.promptIds.count - 1 + k
            let z = (0..<v).map { Double(logits.data[row * v + $0]) }, m = z.max()!
            let e = z.map { exp($0 - m) }, total = e.reduce(0, +)
            nll -= (z[y] - m) - log(total)
            for j in 0..<v { upstream.data[row * v + j] = Float(e[j] / total - (j == y ? 1 : 0)) }
        }
        sum(mul(logits, upstream)).backward()
        return (nll, shared.map { t in (0..<t.count).map { Double(t.grad?.data[$0] ?? 0) } })
    }

    @Test func fisherIsTheMeanSquaredGradientOfEachExamplesSummedLogLikelihood() throws {
        let run = try trainedRun()
        var rng = SeededRNG(seed: 13)
        let fisher = run.seta.fisherDiagonal(0, context: run.context, rng: &rng)
        // By hand, on the same examples: the gradient of −log p(y|x) from the logits, squared, averaged.
        var handRNG = SeededRNG(seed: 13)
        let examples = run.context.batches(of: run.tasks[0], size: 1, rng: &handRNG).prefix(run.seta.options.fisherExamples).map { $0[0] }
        #expect(examples.count == 6)
        let shared = run.seta.pools.flatMap { p in (0..<p.shape.blocks).flatMap { [p.sharedA[$0], p.sharedB[$0]] } }
        var sums = shared.map { [Double](repeating: 0, count: $0.count) }
        for example in examples {
            let (nll, grads) = logLikelihoodGradient(run, example, shared)
            // The summed log-likelihood, as the trainer's loss defines it (mean over tokens × tokens).
            let loss = Double(run.context.languageModelLoss([example]).values[0]) * Double(example.targetIds.count)
            #expect(abs(loss - nll) <= 1e-4 * nll)
            for (i, g) in grads.enumerated() { for j in g.indices { sums[i][j] += g[j] * g[j] } }
        }
        shared.forEach { $0.requiresGrad = false; $0.zeroGrad() }
        // Each A and each B on its own scale (B's Fisher is orders of magnitude above A's at this point).
        let measured = fisher.flatMap { $0.flatMap { [$0.a, $0.b] } }
        for (i, tensor) in measured.enumerated() {
            let expected = sums[i].map { $0 / Double(examples.count) }
            #expect(closeToScale(tensor.values.map(Double.init), expected, 1e-4), "tensor \(i)")
            #expect(expected.contains { $0 > 0 })
        }
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
