// SETA while it trains task t (SETA.md steps 3–4): what must not move stays bit-identical — the shared originals
// of split blocks, the frozen blocks, every earlier unique expert with its copies —, the shared blocks and task t's
// own expert move, and the elastic anchoring term is
//   λ · Σ_{b shared} Σ_{θ∈b} Ω̂_θ (θ − θ*)²,   ∂/∂θ = 2 λ Ω̂_θ (θ − θ*),
// with θ* the values at the end of the previous task and Ω̂ = Ω / mean(Ω over the pool).
import Foundation
import Testing
import SetaExperts
import SetaTensor
@testable import SetaContinual

@Suite struct AnchoringMathTests {
    @Test func anchoringLeavesSplitOriginalsFrozenBlocksAndEarlierExpertsBitIdentical() throws {
        let run = try SteppedRun { $0.split.importancePercentile = 50 }
        run.complete(tasks: 1)
        for t in 1...2 {
            run.seta.beginTask(t, context: run.context)
            let pools = run.seta.pools
            let still = (run.blocks(.split, task: t) + run.blocks(.frozen, task: t)).map { pools[$0.pool].sharedA[$0.block] }
                + run.blocks(.split, task: t).map { pools[$0.pool].sharedB[$0.block] }
                + run.blocks(.frozen, task: t).map { pools[$0.pool].sharedB[$0.block] }
                + pools.flatMap { p in (0..<t).flatMap { p.unique[$0].parameters } }
            let moving = run.blocks(.shared, task: t).map { [pools[$0.pool].sharedA[$0.block], pools[$0.pool].sharedB[$0.block]] }
            let own = pools.map { $0.unique[t].b } + pools.flatMap { $0.unique[t].splits.map(\.b) }
            try #require(!run.blocks(.split, task: t).isEmpty && !run.blocks(.frozen, task: t).isEmpty && !moving.isEmpty)
            #expect(t == 1 || pools.contains { !$0.unique[1].splits.isEmpty })   // task 2 also guards task 1's copies
            let stillBits = still.map(bits), movingBits = moving.map { $0.map(bits) }, ownBits = own.map(bits)
            run.train(t, steps: 3)
            #expect(still.map(bits) == stillBits)
            for (block, old) in zip(moving, movingBits) { #expect(block.map(bits) != old) }   // each shared block moved
            for (tensor, old) in zip(own, ownBits) { #expect(bits(tensor) != old) }
            run.seta.endTask(t, context: run.context)
        }
    }

    @Test func anchoringPenaltyIsLambdaTimesTheWeightedSquaredDistanceOnSharedBlocksOnly() throws {
        let lambda: Float = 0.7
        let run = try SteppedRun { $0.lambda = lambda; $0.split.importancePercentile = 50 }
        run.complete(tasks: 1)
        let anchors = run.seta.pools.map { p in (0..<p.shape.blocks).map { (p.sharedA[$0].values, p.sharedB[$0].values) } }
        run.seta.beginTask(1, context: run.context)
        // Every block off its anchor, split and frozen ones too (the penalty must not see those).
        var noise = SeededRNG(seed: 19)
        for pool in run.seta.pools {
            for theta in pool.sharedParameters { for i in 0..<theta.count { theta.data[i] += 0.02 * Float(noise.normal()) } }
        }
        let shared = run.blocks(.shared, task: 1)
        try #require(!shared.isEmpty && !run.blocks(.split, task: 1).isEmpty)
        // By hand, in Double: Ω̂ from Ω and the pool's mean, θ* from the values at the end of task 0.
        var penalty = 0.0
        var expectedGradient: [[Double]] = []            // per shared block: A then B
        for (p, b) in shared {
            let pool = run.seta.pools[p]
            let all = run.seta.omega[p].flatMap { $0.a.values + $0.b.values }.map(Double.init)
            let mean = all.reduce(0, +) / Double(all.count)
            let theta = pool.sharedA[b].values + pool.sharedB[b].values, anchor = anchors[p][b].0 + anchors[p][b].1
            let omega = run.seta.omega[p][b].a.values + run.seta.omega[p][b].b.values
            var gradient: [Double] = []
            for i in theta.indices {
                let d = Double(theta[i]) - Double(anchor[i]), w = Double(omega[i]) / mean
                penalty += w * d * d
                gradient.append(2 * Double(lambda) * w * d)
            }
            expectedGradient.append(gradient)
        }
        penalty *= Double(lambda)
        #expect(penalty > 1e-3)
        var rng = SeededRNG(seed: 23)
        let batch = run.context.batches(of: run.tasks[1], size: 4, rng: &rng)[0]
        let sharedTensors = shared.map { [run.seta.pools[$0.pool].sharedA[$0.block], run.seta.pools[$0.pool].sharedB[$0.block]] }
        func lossAndGradients(_ body: () -> Tensor) -> (Double, [[Double]]) {
            sharedTensors.joined().forEach { $0.zeroGrad() }
            let loss = body()
            loss.backward()
            return (Double(loss.values[0]), sharedTensors.map { $0.flatMap { $0.grad!.values.map(Double.init) } })
        }
        let (total, totalGradient) = lossAndGradients { run.seta.loss(batch, task: 1, context: run.context) }
        let (lm, lmGradient) = lossAndGradients {
            run.seta.routing.route(allTo: 1, tasks: 2, sequences: batch.count)
            return run.context.languageModelLoss(batch)
        }
        #expect(abs((total - lm) - penalty) <= 1e-4 * penalty + 1e-6, "loss − LM = \(total - lm), λ Σ Ω̂ (θ − θ*)² = \(penalty)")
        for (i, expected) in expectedGradient.enumerated() {
            let measured = zip(totalGradient[i], lmGradient[i]).map { $0 - $1 }
            let scale = expected.map(abs).max()!
            #expect(zip(measured, expected).allSatisfy { abs($0 - $1) <= 1e-3 * scale + 1e-6 }, "block \(shared[i])")
        }
        // Split and frozen blocks do not train: no gradient reaches them.
        for (p, b) in run.blocks(.split, task: 1) + run.blocks(.frozen, task: 1) { #expect(!run.seta.pools[p].sharedA[b].requiresGrad) }
    }
}
